"""Demo discussions: on the shop map, an open thread about its worst pain point with a mention, and
a resolved one about a stage, so the board, the bell, the notifications page and the review agenda
all have something to show. Idempotent: a map that has threads is left alone."""

from __future__ import annotations

from journeys.models import PainPoint, Stage

from . import services
from .models import Notification, Thread


def seed(context: dict) -> dict:
    maps = context.get("maps") or {}
    users = context.get("users") or {}
    journey_map = maps.get("shop")
    editor, admin = users.get("editor"), users.get("demo")
    if (
        journey_map is None
        or editor is None
        or admin is None
        or Thread.objects.filter(journey_map=journey_map).exists()
    ):
        return {}
    pain = (
        PainPoint.objects.filter(touchpoint__stage__journey_map=journey_map)
        .exclude(status=PainPoint.Status.FIXED)
        .order_by("-severity", "created_at")
        .first()
    )
    made = []
    if pain is not None:
        thread = services.thread_start(
            actor=editor,
            part=pain,
            body=f"@{admin.username} shoppers still leave here. Should the delivery date show on the product page "
            "before the cart?",
        )
        services.comment_add(
            actor=admin, thread=thread, body="Yes: let's try it as an experiment and look at it in this week's review."
        )
        made.append(thread)
    stage = Stage.objects.filter(journey_map=journey_map).order_by("position").first()
    if stage is not None:
        thread = services.thread_start(
            actor=admin, part=stage, body="Is the stage's description still what we see in the interviews?"
        )
        services.comment_add(actor=editor, thread=thread, body="Checked against last month's interviews: it is.")
        made.append(services.thread_resolve(actor=editor, thread=thread))
    # Seeded history is not news: nobody gets an email for it.
    Notification.objects.filter(comment__thread__in=made).update(email=Notification.Email.SKIPPED)
    return {"threads": made}
