"""The discussions app's part of the access-test world (see tests/world.py)."""

from discussions import services
from discussions.models import Comment, Notification, Presence, Thread
from journeys.models import JourneyMap, PainPoint

BUILDERS = [
    (
        Thread,
        lambda world, people: services.thread_start(
            actor=people["editor"], part=world[PainPoint], body=f"@{people['viewer'].username} is this still slow?"
        ),
    ),
    (Comment, lambda world, people: world[Thread].comments.get()),
    (Notification, lambda world, people: Notification.objects.get(comment=world[Comment])),
    (Presence, lambda world, people: services.presence_touch(actor=people["viewer"], journey_map=world[JourneyMap])),
]

URL_KWARGS = {
    "thread_pk": lambda world: world[Thread].pk,
    "comment_pk": lambda world: world[Comment].pk,
    "notification_pk": lambda world: world[Notification].pk,
}
