"""A small shop map with people, shared by the owners/SLA/hand-off/playbook tests."""

from __future__ import annotations

from dataclasses import dataclass

from journeys.models import JourneyMap, Stage, Touchpoint


@dataclass
class ShopMap:
    journey_map: JourneyMap
    decision: Stage
    purchase: Stage
    touchpoints: list[Touchpoint]


def shop_map(team, *, n_touchpoints: int = 3, title: str = "Online shop: first order") -> ShopMap:
    """Return a map with two stages and ``n_touchpoints`` touchpoints spread over them."""
    journey_map = JourneyMap.objects.create(team=team, title=title)
    decision = Stage.objects.create(journey_map=journey_map, name="Decision", position=0)
    purchase = Stage.objects.create(journey_map=journey_map, name="Purchase", position=1)
    touchpoints = [
        Touchpoint.objects.create(stage=decision if i % 2 == 0 else purchase, name=f"Touchpoint {i}", position=i)
        for i in range(n_touchpoints)
    ]
    return ShopMap(journey_map, decision, purchase, touchpoints)
