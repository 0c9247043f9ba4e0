"""The demo owners, SLAs, hand-offs and playbooks: drawn from the seed cases, and idempotent."""

import pytest
from django.core.management import call_command

from owners.models import SLA, Handoff, HandoffCase, Ownership, Playbook

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_owners_slas_handoffs_and_playbooks_once():
    call_command("seed_demo")
    counts = [m.objects.count() for m in (Ownership, SLA, Handoff, HandoffCase, Playbook)]
    assert counts[0] >= 14 and counts[1] >= 10
    assert counts[2] >= 1
    assert HandoffCase.objects.filter(breached_at__isnull=False).count() == counts[2]  # one late case each
    seeded = {
        "First order late",
        "Failed trial at step 2",
        "Renewal questions",
        "Onboarding: day 7",
        "Onboarding: day 30",
        "Onboarding: day 90",
    }
    assert seeded <= set(Playbook.objects.values_list("name", flat=True))
    zh_hant = set(Playbook.objects.filter(journey_map__team__slug="morning-light").values_list("name", flat=True))
    assert {"首購訂單延遲到貨", "購物車停在運送方式", "報價超過三個工作天", "年節禮盒續訂詢問"} <= zh_hant
    # Some of that team's SLAs count only its working hours (Asia/Taipei).
    assert SLA.objects.filter(
        touchpoint__stage__journey_map__team__time_zone="Asia/Taipei", business_hours=True
    ).exists()
    call_command("seed_demo")
    assert [m.objects.count() for m in (Ownership, SLA, Handoff, HandoffCase, Playbook)] == counts
