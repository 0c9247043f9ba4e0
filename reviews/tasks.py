"""Periodic work of reviews: the weekly digest (scheduled hourly by CELERY_BEAT_SCHEDULE["reviews-weekly-digest"])."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from teams.models import Team

from . import digest, services


@shared_task(name="reviews.tasks.dispatch_weekly_digests")
def dispatch_weekly_digests() -> dict:
    """Queue the digest of every team whose digest day and hour have come (once per team and day)."""
    now = timezone.now()
    queued = []
    for team in digest.digests_due(now):
        if services.digest_claim(team=team, now=now):
            queued.append(team.pk)
            transaction.on_commit(lambda team_id=team.pk: send_team_digest.delay(team_id))
    return {"teams": queued}


@shared_task(name="reviews.tasks.send_team_digest")
def send_team_digest(team_id: int) -> int:
    """Render and send one team's weekly digest to its members; return how many emails went out."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        return 0
    return digest.digest_send_team(team=team)
