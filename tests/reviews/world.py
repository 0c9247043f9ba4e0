"""The reviews app's part of the access-test world (see tests/world.py)."""

from journeys.models import JourneyMap
from reviews import services
from reviews.models import ActionItem, Review, ReviewSettings

BUILDERS = [
    (
        Review,
        lambda world, people: services.review_record(
            journey_map=world[JourneyMap],
            actor=people["editor"],
            notes="Probe review",
            action_items=[services.ActionItemInput(title="Probe item", owner=people["editor"])],
        ),
    ),
    (ActionItem, lambda world, people: world[Review].action_items.get()),
    (ReviewSettings, lambda world, people: services.review_settings_update(team=people["team"], actor=people["admin"])),
]

URL_KWARGS = {
    "review_pk": lambda world: world[Review].pk,
    "item_pk": lambda world: world[ActionItem].pk,
}

API_KWARGS = {}
