from celery import shared_task

from . import stages


@shared_task(ignore_result=True)
def stage_stats_refresh_all() -> int:
    """Store every map's stage figures for the map page (entered, conversion, time in stage)."""
    return stages.stage_stats_refresh_all()
