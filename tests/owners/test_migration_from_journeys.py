"""Moving the owners' models out of journeys keeps every row, its history and its permissions.

The database is migrated back to where journeys still held these models, rows are written with
that layout (through the historical app registry), and the database is migrated forward again.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from journeys.models import JourneyMap, Stage, Touchpoint
from owners.models import SLA, Handoff, HandoffCase, Ownership, Playbook

BEFORE = [("journeys", "0006_translatable_labels"), ("owners", None)]
MOVED = ["ownership", "sla", "handoff", "handoffcase", "playbook"]


def _migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


def _migrate_to_latest():
    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def _old_layout_rows(apps) -> dict:
    """Write one row of each moved model (and what they point at) as journeys kept them."""
    get = apps.get_model
    user_model = get("auth", "User")
    alice = user_model.objects.create(username="alice-old", email="alice@example.com")
    erin = user_model.objects.create(username="erin-old")
    team = get("teams", "Team").objects.create(name="Old layout", slug="old-layout")
    journey_map = get("journeys", "JourneyMap").objects.create(team=team, title="Shop checkout")
    stage = get("journeys", "Stage").objects.create(journey_map=journey_map, name="Decision", position=0)
    tp_model = get("journeys", "Touchpoint")
    cart = tp_model.objects.create(stage=stage, name="Cart", position=0)
    confirmation = tp_model.objects.create(stage=stage, name="Order confirmation", position=1)

    ownership = get("journeys", "Ownership").objects.create(
        journey_map=journey_map, touchpoint=cart, user=alice, role="accountable"
    )
    stage_ownership = get("journeys", "Ownership").objects.create(
        journey_map=journey_map, stage=stage, user=erin, role="consulted"
    )
    sla = get("journeys", "SLA").objects.create(
        touchpoint=cart,
        response_target=timedelta(hours=4),
        business_hours=True,
        escalation_delay=timedelta(hours=2),
    )
    handoff = get("journeys", "Handoff").objects.create(
        journey_map=journey_map,
        from_touchpoint=cart,
        to_touchpoint=confirmation,
        from_owner=alice,
        to_owner=erin,
        response_target=timedelta(hours=8),
        escalation_delay=timedelta(hours=1),
        notes="Warehouse confirms stock",
    )
    started = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    case = get("journeys", "HandoffCase").objects.create(
        handoff=handoff,
        reference="ORDER-7",
        started_at=started,
        due_at=started + timedelta(hours=8),
        breached_at=started + timedelta(hours=9),
        opened_by=alice,
    )
    playbook = get("journeys", "Playbook").objects.create(
        journey_map=journey_map,
        touchpoint=cart,
        name="First order late",
        trigger="The order is a day late",
        steps="1. Apologise\n2. Refund shipping",
        owner=erin,
    )
    get("journeys", "HistoricalOwnership").objects.create(
        id=ownership.pk,
        journey_map_id=journey_map.pk,
        touchpoint_id=cart.pk,
        user_id=alice.pk,
        role="accountable",
        created_at=ownership.created_at,
        history_date=started,
        history_type="+",
        history_user_id=alice.pk,
    )
    # A permission on a moved model, granted through a group, as an admin would have set it up.
    content_type = get("contenttypes", "ContentType").objects.get_or_create(app_label="journeys", model="ownership")[0]
    permission = get("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename="change_ownership", defaults={"name": "Can change ownership"}
    )[0]
    group = get("auth", "Group").objects.create(name="Owner admins")
    group.permissions.add(permission)
    return {
        "alice": alice.pk,
        "erin": erin.pk,
        "map": journey_map.pk,
        "stage": stage.pk,
        "cart": cart.pk,
        "confirmation": confirmation.pk,
        "ownership": ownership.pk,
        "stage_ownership": stage_ownership.pk,
        "sla": sla.pk,
        "handoff": handoff.pk,
        "case": case.pk,
        "playbook": playbook.pk,
        "content_type": content_type.pk,
        "permission": permission.pk,
        "group": group.pk,
        "started": started,
    }


@pytest.mark.django_db(transaction=True)
def test_rows_history_and_permissions_survive_the_move_out_of_journeys():
    try:
        _migrate(BEFORE)
        # The state of what is applied now: journeys still holds the models.
        old_apps = MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps
        assert {m._meta.model_name for m in old_apps.get_app_config("journeys").get_models()} >= set(MOVED)
        ids = _old_layout_rows(old_apps)
    finally:
        _migrate_to_latest()

    journey_map = JourneyMap.objects.get(pk=ids["map"])
    cart = Touchpoint.objects.get(pk=ids["cart"])

    ownership = Ownership.objects.get(pk=ids["ownership"])
    assert (ownership.journey_map, ownership.touchpoint, ownership.stage_id) == (journey_map, cart, None)
    assert (ownership.user_id, ownership.role) == (ids["alice"], "accountable")
    stage_ownership = Ownership.objects.get(pk=ids["stage_ownership"])
    assert (stage_ownership.stage, stage_ownership.touchpoint_id) == (Stage.objects.get(pk=ids["stage"]), None)
    assert (stage_ownership.user_id, stage_ownership.role) == (ids["erin"], "consulted")
    assert cart.ownerships.count() == 1  # reverse accessors now come from owners

    sla = SLA.objects.get(pk=ids["sla"])
    assert sla.touchpoint == cart and cart.sla == sla
    assert (sla.response_target, sla.business_hours, sla.escalation_delay) == (
        timedelta(hours=4),
        True,
        timedelta(hours=2),
    )

    handoff = Handoff.objects.get(pk=ids["handoff"])
    assert (handoff.journey_map_id, handoff.from_touchpoint_id, handoff.to_touchpoint_id) == (
        ids["map"],
        ids["cart"],
        ids["confirmation"],
    )
    assert (handoff.from_owner_id, handoff.to_owner_id) == (ids["alice"], ids["erin"])
    assert (handoff.response_target, handoff.notes) == (timedelta(hours=8), "Warehouse confirms stock")

    case = HandoffCase.objects.get(pk=ids["case"])
    assert (case.handoff, case.reference, case.opened_by_id, case.completed_by_id) == (
        handoff,
        "ORDER-7",
        ids["alice"],
        None,
    )
    assert (case.started_at, case.due_at, case.breached_at) == (
        ids["started"],
        ids["started"] + timedelta(hours=8),
        ids["started"] + timedelta(hours=9),
    )

    playbook = Playbook.objects.get(pk=ids["playbook"])
    assert (playbook.journey_map, playbook.touchpoint, playbook.owner_id) == (journey_map, cart, ids["erin"])
    assert (playbook.name, playbook.trigger, playbook.steps) == (
        "First order late",
        "The order is a day late",
        "1. Apologise\n2. Refund shipping",
    )

    [record] = ownership.history.all()
    assert (record.history_type, record.history_user_id, record.role) == ("+", ids["alice"], "accountable")

    # The content type kept its id (so permissions, groups and admin log entries follow it).
    content_type = ContentType.objects.get_for_model(Ownership)
    assert (content_type.pk, content_type.app_label) == (ids["content_type"], "owners")
    assert not ContentType.objects.filter(app_label="journeys", model__in=MOVED).exists()
    granted = Group.objects.get(pk=ids["group"]).permissions.get()
    assert (granted.pk, granted.content_type_id, granted.codename) == (
        ids["permission"],
        content_type.pk,
        "change_ownership",
    )

    # New rows go to the same tables.
    assert Ownership._meta.db_table == "journeys_ownership"
    assert Ownership.history.model._meta.db_table == "journeys_historicalownership"
    Ownership.objects.create(journey_map=journey_map, touchpoint=cart, user_id=ids["erin"], role="responsible")
    assert Ownership.objects.filter(touchpoint=cart).count() == 2
