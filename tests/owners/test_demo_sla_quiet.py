"""A fresh demo mails nothing on its first SLA sweep: its backfilled history counts as notified."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from automations.models import OwnerTask
from feedback.models import FollowUp
from feedback.tasks import followup_sla_sweep
from owners.models import HandoffCase
from owners.tasks import sla_sweep

pytestmark = pytest.mark.django_db


def test_the_first_sweeps_after_seeding_send_no_digests_and_the_breaches_show(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        handoffs_and_tasks = sla_sweep()
        followups = followup_sla_sweep()
    assert [message.subject for message in mail.outbox] == []
    assert handoffs_and_tasks == {"breached": 0, "escalated": 0, "notified": 0}
    assert (followups["breached"], followups["escalated"], followups["emails"]) == (0, 0, 0)
    # The backfilled breaches are recorded, so the demo still shows them.
    late = HandoffCase.objects.filter(reference__endswith="-0999")
    assert late.count() == 3 and not late.filter(breached_at__isnull=True).exists()
    assert FollowUp.objects.exclude(status="closed").filter(breached_at__isnull=False).exists()
    assert OwnerTask.objects.filter(status="open", breached_at__isnull=False).exists()
    shop = late.select_related("handoff__journey_map").get(reference="SHOP-0999")
    client.force_login(get_user_model().objects.get(username="demo"))
    page = client.get(reverse("owners:owners_breaches", args=[shop.handoff.journey_map_id]))
    assert page.status_code == 200 and "SHOP-0999" in page.content.decode()
