"""Ownership rules: one accountable owner, team members only, replaced atomically, with history."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from owners import services
from owners.models import SLA, Ownership
from teams.models import Membership

from .owners_world import shop_map

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(team_a):
    return shop_map(team_a)


def test_assign_accountable_owner_stores_one_row(shop, alice, erin):
    tp = shop.touchpoints[0]
    ownership = services.ownership_assign(actor=alice, touchpoint=tp, user=erin)
    assert ownership.role == Ownership.Role.ACCOUNTABLE
    assert ownership.journey_map_id == shop.journey_map.pk
    assert list(Ownership.objects.filter(touchpoint=tp).values_list("user__username", flat=True)) == ["erin"]


def test_new_accountable_owner_replaces_the_old_one_and_history_shows_who(shop, alice, erin, victor):
    tp = shop.touchpoints[0]
    first = services.ownership_assign(actor=alice, touchpoint=tp, user=erin)
    second = services.ownership_assign(actor=erin, touchpoint=tp, user=victor)
    assert second.pk == first.pk
    rows = Ownership.objects.filter(touchpoint=tp, role="accountable")
    assert [o.user.username for o in rows] == ["victor"]
    history = list(first.history.order_by("history_date").values_list("user__username", "history_user__username"))
    assert history == [("erin", "alice"), ("victor", "erin")]


def test_responsible_and_consulted_people_sit_beside_the_accountable_owner(shop, alice, erin, victor):
    tp = shop.touchpoints[0]
    services.ownership_assign(actor=alice, touchpoint=tp, user=erin)
    services.ownership_assign(actor=alice, touchpoint=tp, user=victor, role="responsible")
    services.ownership_assign(actor=alice, touchpoint=tp, user=alice, role="consulted")
    roles = dict(Ownership.objects.filter(touchpoint=tp).values_list("user__username", "role"))
    assert roles == {"erin": "accountable", "victor": "responsible", "alice": "consulted"}


def test_database_refuses_a_second_accountable_owner(shop, erin, victor):
    tp = shop.touchpoints[0]
    Ownership.objects.create(journey_map=shop.journey_map, touchpoint=tp, user=erin)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(journey_map=shop.journey_map, touchpoint=tp, user=victor)


def test_owner_must_be_a_member_of_the_maps_team(shop, alice, oscar):
    with pytest.raises(ValidationError) as exc:
        services.ownership_assign(actor=alice, touchpoint=shop.touchpoints[0], user=oscar)
    assert "user" in exc.value.error_dict
    assert not Ownership.objects.exists()


def test_viewer_cannot_assign_owners(shop, victor, erin):
    with pytest.raises(PermissionDenied):
        services.ownership_assign(actor=victor, touchpoint=shop.touchpoints[0], user=erin)
    assert not Ownership.objects.exists()


def test_stage_has_its_own_accountable_owner(shop, alice, erin):
    ownership = services.ownership_assign(actor=alice, stage=shop.decision, user=erin)
    assert ownership.stage_id == shop.decision.pk and ownership.touchpoint_id is None


def test_reassign_is_all_or_nothing_when_the_new_owner_is_not_in_every_team(team_a, team_b, alice, erin, oscar):
    a = shop_map(team_a, n_touchpoints=2)
    Membership.objects.create(team=team_b, user=erin, role="editor")
    b = shop_map(team_b, n_touchpoints=1)
    services.ownership_assign(actor=None, touchpoint=a.touchpoints[0], user=alice)
    with pytest.raises(ValidationError):
        services.ownership_reassign_accountable(actor=None, touchpoints=[*a.touchpoints, *b.touchpoints], user=alice)
    assert Ownership.objects.get(touchpoint=a.touchpoints[0]).user == alice
    assert Ownership.objects.filter(touchpoint__in=b.touchpoints).count() == 0
    changed = services.ownership_reassign_accountable(
        actor=None, touchpoints=[*a.touchpoints, *b.touchpoints], user=erin
    )
    assert changed == 3
    assert set(Ownership.objects.values_list("user__username", flat=True)) == {"erin"}


def test_touchpoint_owner_update_sets_and_clears_owner_and_sla_together(shop, alice, erin):
    tp = shop.touchpoints[0]
    services.touchpoint_owner_update(
        actor=alice, touchpoint=tp, accountable=erin, response_target=timedelta(hours=48), business_hours=True
    )
    sla = SLA.objects.get(touchpoint=tp)
    assert (sla.response_target, sla.business_hours) == (timedelta(hours=48), True)
    assert Ownership.objects.get(touchpoint=tp).user == erin
    services.touchpoint_owner_update(actor=alice, touchpoint=tp, accountable=None, response_target=None)
    assert not SLA.objects.filter(touchpoint=tp).exists()
    assert not Ownership.objects.filter(touchpoint=tp).exists()


def test_sla_refuses_a_zero_target(shop, alice):
    with pytest.raises(ValidationError) as exc:
        services.sla_set(actor=alice, touchpoint=shop.touchpoints[0], response_target=timedelta(0))
    assert "response_target" in exc.value.error_dict
    assert not SLA.objects.exists()
