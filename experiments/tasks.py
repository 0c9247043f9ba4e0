from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def metrics_compute_from_events() -> int:
    """Store the behavioural metrics' daily observations whose windows have ended (idempotent)."""
    return services.metrics_compute_from_events_due()
