"""Owners' emails in the reader's language.

These need the compiled catalogs (``make install`` runs ``compilemessages``).
"""

from datetime import UTC, datetime, timedelta

import time_machine
from django.core import mail
from django.utils import translation

from owners import services
from owners.tasks import sla_sweep
from teams.models import UserPreference

from .owners_world import shop_map


def test_an_sla_breach_email_is_in_the_owners_language(team_a, alice, erin):
    alice.email, erin.email = "alice@example.com", "erin@example.com"
    alice.save(update_fields=["email"])
    erin.save(update_fields=["email"])
    UserPreference.objects.create(user=erin, language="lv")
    shop = shop_map(team_a, n_touchpoints=2)
    handoff = services.handoff_create(
        actor=alice,
        from_touchpoint=shop.touchpoints[0],
        to_touchpoint=shop.touchpoints[1],
        to_owner=erin,
        response_target=timedelta(hours=1),
        escalation_delay=timedelta(hours=24),
    )
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        services.handoff_case_open(actor=alice, handoff=handoff, reference="ORDER-7")
    with time_machine.travel(start + timedelta(hours=2), tick=False), translation.override("en"):
        assert sla_sweep.delay().get()["notified"] == 1
        # The sweep leaves the worker's own language as it was.
        assert translation.get_language() == "en"
    [message] = mail.outbox
    assert message.subject.startswith("SLA pārkāpums: Nodošana Touchpoint 0 → Touchpoint 1 (ORDER-7)")
    assert "Lūdzu, pārņemiet to tūlīt." in message.body and "Atvērt Waymark:" in message.body
