"""The SLA sweep in a real Celery worker, through Redis (CI sets REDIS_URL; skipped without it)."""

import os
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from config import celery_app
from owners import services
from owners.models import HandoffCase
from owners.tasks import sla_sweep

from .owners_world import shop_map

REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.fixture
def real_celery():
    """Point Celery at Redis and turn off eager mode (which tests/conftest.py sets) for this test."""
    conf = celery_app.conf
    saved = {k: conf[k] for k in ("task_always_eager", "broker_url", "result_backend")}
    conf.update(task_always_eager=False, broker_url=REDIS_URL, result_backend=REDIS_URL)
    try:
        with start_worker(celery_app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            yield
    finally:
        conf.update(saved)


@pytest.mark.celery_worker
@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL: the sweep runs in a real Celery worker against Redis")
@pytest.mark.django_db(transaction=True)
def test_sla_sweep_runs_in_a_real_worker(team_a, alice, erin, settings, real_celery):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    erin.email = "erin@example.com"
    erin.save(update_fields=["email"])
    shop = shop_map(team_a, n_touchpoints=2)
    handoff = services.handoff_create(
        actor=alice, from_touchpoint=shop.touchpoints[0], to_touchpoint=shop.touchpoints[1], to_owner=erin
    )
    case = services.handoff_case_open(
        actor=alice, handoff=handoff, reference="LOAN-7", started_at=timezone.now() - timedelta(days=2)
    )

    result = sla_sweep.delay().get(timeout=30)
    assert result == {"breached": 1, "escalated": 0, "notified": 1}
    assert sla_sweep.delay().get(timeout=30)["breached"] == 0

    case.refresh_from_db()
    assert case.breached_at is not None
    assert HandoffCase.objects.filter(breached_at__isnull=False).count() == 1
    assert [m.to for m in mail.outbox] == [["erin@example.com"]]
