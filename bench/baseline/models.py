from django.db import models
from django.utils import timezone


class BaselineRow(models.Model):
    """One posted row: the least a Django view can store for a survey answer."""

    submission_id = models.CharField(max_length=64, unique=True)
    score = models.SmallIntegerField(null=True)
    answers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.submission_id
