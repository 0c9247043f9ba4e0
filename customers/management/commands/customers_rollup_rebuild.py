"""Recount the map overlay's daily roll-up from the stored events (after upgrading, or to check it)."""

from django.core.management.base import BaseCommand

from customers.models import TrackingRule
from customers.stages import rollup_rebuild


class Command(BaseCommand):
    help = "Recount the tracking plan's daily roll-up (TrackingRuleDay) of every map with rules, or of one map."

    def add_arguments(self, parser):
        parser.add_argument("--map", type=int, dest="map_id", help="Only this map's id.")
        parser.add_argument("--days", type=int, default=90, help="How many UTC days back, today included (90).")

    def handle(self, *args, map_id=None, days=90, **options):
        maps = [map_id] if map_id else sorted(set(TrackingRule.objects.values_list("journey_map_id", flat=True)))
        for journey_map_id in maps:
            counted = rollup_rebuild(journey_map_id=journey_map_id, days=days)
            self.stdout.write(f"map {journey_map_id}: {counted} events counted")
