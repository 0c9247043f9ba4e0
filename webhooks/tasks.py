"""Celery tasks of the webhooks app: deliveries and their retries."""

from __future__ import annotations

from celery import current_app, shared_task

from . import delivery, selectors


@shared_task(acks_late=True, ignore_result=True)
def webhook_deliver(delivery_id: str, attempt: int = 1) -> None:
    """Make one attempt of a delivery and schedule the next one, with back-off, if it failed."""
    delay = delivery.webhook_delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    if delay is not None:
        retry_later(delivery_id, attempt + 1, int(delay.total_seconds()))


def retry_later(delivery_id: str, attempt: int, countdown: int) -> None:
    """Queue attempt number ``attempt`` in ``countdown`` seconds.

    Without a broker (tasks run eagerly, in the request) a countdown cannot be honoured: the
    delivery stays "retrying" with its ``next_attempt_at`` and the periodic sweep sends it.
    """
    if current_app.conf.task_always_eager:
        return
    webhook_deliver.apply_async(args=[delivery_id, attempt], countdown=countdown)


@shared_task(ignore_result=True)
def webhook_deliveries_retry_due() -> int:
    """Send the retries that are due (a safety net for lost messages and for brokerless setups)."""
    due = selectors.deliveries_due()
    for delivery_id, attempt in due:
        webhook_deliver.delay(delivery_id, attempt)
    return len(due)
