"""Persona photos: served from the app's own storage to the members of the persona's team only,
and removed from the storage when a photo is replaced or its persona deleted.

With an S3-compatible store configured (MEDIA_S3_BUCKET) the storage hands out signed, expiring
URLs of a private bucket instead, and ``photo_file`` is not reached.
"""

from __future__ import annotations

import mimetypes

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models.signals import post_delete, pre_save
from django.dispatch import receiver
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .models import Persona


@login_required
@require_GET
def photo_file(request: HttpRequest, name: str) -> FileResponse:
    """Send an uploaded file if it is the photo of a persona the person may see; else 404."""
    if not Persona.objects.for_user(request.user).filter(photo=name).exists():
        raise Http404(_("No such file."))
    storage = Persona._meta.get_field("photo").storage
    try:
        handle = storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("No such file.")) from exc
    response = FileResponse(handle, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    # Private to the signed-in person: shared caches must not keep another team's photo.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _delete_later(name: str) -> None:
    storage = Persona._meta.get_field("photo").storage

    def delete() -> None:
        # Another persona may have been given the same file (a copy of a row): keep it then.
        if not Persona.objects.filter(photo=name).exists():
            storage.delete(name)

    transaction.on_commit(delete)


@receiver(pre_save, sender=Persona, dispatch_uid="personas.photo_replaced")
def _photo_replaced(sender, instance: Persona, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (update_fields is not None and "photo" not in update_fields):
        return
    old = Persona.objects.filter(pk=instance.pk).values_list("photo", flat=True).first()
    if old and old != instance.photo.name:
        _delete_later(old)


@receiver(post_delete, sender=Persona, dispatch_uid="personas.photo_deleted")
def _photo_deleted(sender, instance: Persona, **kwargs) -> None:
    if instance.photo.name:
        _delete_later(instance.photo.name)
