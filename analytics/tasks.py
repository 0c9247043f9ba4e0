from celery import shared_task
from django.db import connection

from . import stage_store, stages


@shared_task(ignore_result=True)
def stage_stats_refresh_all() -> int:
    """Store every map's stage figures for the map page (entered, conversion, time in stage)."""
    return stages.stage_stats_refresh_all()


@shared_task(ignore_result=True)
def stage_funnels_refresh_all() -> int:
    """Bring every map's stored stage funnel up to date (queued profiles, changed SLAs, stages or zone)."""
    if connection.vendor != "postgresql":
        return 0
    return stage_store.stage_funnels_refresh_all()
