"""The demo ships the four playbooks as running automations, replayed over the demo's events."""

import pytest
from django.core.management import call_command

from automations import selectors
from automations.models import Action, Automation, Enrolment, OwnerTask, StageCap
from customers.models import Profile


@pytest.mark.django_db
def test_seed_demo_runs_the_playbooks_as_automations():
    call_command("seed_demo", verbosity=0)
    english = Automation.objects.filter(team__slug="northwind")
    assert sorted(english.values_list("name", flat=True)) == [
        "First order late",
        "Onboarding: days 7, 30 and 90",
        "Renewal questions",
        "Stalled in Decision: returns policy",
    ]
    assert set(english.values_list("status", flat=True)) == {"active"}
    stalled = english.get(name="Stalled in Decision: returns policy")
    assert stalled.playbook.name == "Failed trial at step 2"
    enrolled = Enrolment.objects.filter(automation=stalled, is_holdout=False)
    assert enrolled.exists()
    # Each email went in the customer's language (the replay logs it; nothing is really sent).
    sent = Action.objects.filter(automation=stalled, kind="email", status="done").select_related("profile")
    assert sent.exists()
    for action in sent[:20]:
        wanted = action.profile.traits["locale"]
        assert action.result["locale"] == wanted, (wanted, action.result)
        assert action.result["backfilled"] is True
    # Customers still in Decision a day after the email: a task for the cart's owner.
    tasks = OwnerTask.objects.filter(action__automation=stalled)
    assert set(tasks.values_list("touchpoint__name", flat=True)) <= {"Cart and delivery options"}
    result = selectors.holdout_result(stalled)
    assert result["enrolled"]["n"] + result["holdout"]["n"] == Enrolment.objects.filter(automation=stalled).count()
    # The contact rules show a cap by stage: fewer messages while customers are in Decision.
    cap = StageCap.objects.get(team__slug="northwind")
    assert (cap.stage.name, cap.max_messages, cap.per_days) == ("Decision", 2, 7)
    named = Profile.objects.filter(team__slug="northwind", merged_into__isnull=True).exclude(user_id="")
    assert named.exists() and not named.exclude(traits__has_key="email").exists()
    # Seeding again adds nothing.
    before = Enrolment.objects.count(), StageCap.objects.count()
    call_command("seed_demo", verbosity=0)
    assert (Enrolment.objects.count(), StageCap.objects.count()) == before
