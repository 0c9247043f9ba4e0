"""Rebuild the stored stage funnels (analytics/stage_store.py) from the stage transitions: after
upgrading, after loading transitions with the triggers off, or to check the stored rows."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from analytics.stage_store import stage_funnel_build, stage_funnel_vacuum
from customers.models import StageTransition
from journeys.models import JourneyMap


class Command(BaseCommand):
    help = "Rebuild the stored stage funnel of every map with stage transitions, or of one map (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--map", type=int, dest="map_id", help="Only this map's id.")

    def handle(self, *args, map_id=None, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The stored stage funnel is PostgreSQL's; other databases walk the transitions.")
        if map_id:
            ids = [map_id]
        else:
            ids = sorted(set(StageTransition.objects.values_list("journey_map_id", flat=True).distinct()))
        for journey_map in JourneyMap.objects.filter(pk__in=ids).select_related("team").order_by("pk"):
            state = stage_funnel_build(journey_map=journey_map)
            if state is None:
                self.stdout.write(f"map {journey_map.pk}: no funnel (fewer than two stages or too many)")
            else:
                self.stdout.write(f"map {journey_map.pk}: built for stages {state.signature['stages']}")
        stage_funnel_vacuum()
