"""Each profile is assigned the persona whose trait rules its traits meet, and kept so."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers import persona_assign
from customers.identity import traits_apply
from customers.models import Profile
from customers.services import events_ingest
from customers.tasks import profiles_persona_assign
from personas import services as persona_services


@pytest.fixture
def ingest(source):
    def run(*items, at=None):
        return events_ingest(source=source, items=list(items), received_at=at or timezone.now())

    return run


def identify(message_id, *, traits, user_id=None, anonymous_id=None, at=None):
    item = {"type": "identify", "messageId": message_id, "traits": traits}
    if user_id:
        item["userId"] = user_id
    if anonymous_id:
        item["anonymousId"] = anonymous_id
    if at:
        item["timestamp"] = at.isoformat()
    return item


@pytest.fixture
def personas(team_a, erin):
    """Three personas of team A: furniture buyers (priority 10), team plans (20), big teams (5)."""
    make = persona_services.persona_create
    return {
        "shopper": make(
            team=team_a,
            actor=erin,
            name="Shopper",
            priority=10,
            trait_rules=[{"trait": "product", "op": "eq", "value": "furniture"}],
        ),
        "team": make(
            team=team_a,
            actor=erin,
            name="Team buyer",
            priority=20,
            trait_rules=[{"trait": "plan", "op": "eq", "value": "team"}],
        ),
        "big": make(
            team=team_a,
            actor=erin,
            name="Big team",
            priority=5,
            trait_rules=[{"trait": "plan", "op": "eq", "value": "team"}, {"trait": "seats", "op": "gt", "value": 50}],
        ),
    }


def profile_of(user_id):
    return Profile.objects.get(user_id=user_id, merged_into__isnull=True)


def test_identify_assigns_the_matching_persona_and_follows_trait_changes(ingest, personas):
    ingest(identify("1", user_id="ana", traits={"plan": "team", "seats": 8}))
    assert profile_of("ana").persona == personas["team"]

    ingest(identify("2", user_id="ana", traits={"seats": 80}))
    assert profile_of("ana").persona == personas["big"]  # priority 5 beats 20

    ingest(identify("3", user_id="ana", traits={"plan": "free"}))
    assert profile_of("ana").persona is None

    ingest(identify("4", user_id="ana", traits={"product": "furniture"}))
    assert profile_of("ana").persona == personas["shopper"]


def test_a_late_identify_changes_history_but_not_the_persona(ingest, personas):
    now = timezone.now()
    ingest(identify("1", user_id="ana", traits={"plan": "team"}, at=now))
    ingest(identify("2", user_id="ana", traits={"plan": "free"}, at=now - timedelta(days=1)))
    assert profile_of("ana").traits["plan"] == "team"
    assert profile_of("ana").persona == personas["team"]


def test_traits_apply_called_alone_assigns_in_its_transaction(source, personas, team_a):
    ingest_result = events_ingest(
        source=source, items=[{"type": "track", "event": "Visit", "userId": "bo"}], received_at=timezone.now()
    )
    assert ingest_result.stored == 1
    profile = profile_of("bo")
    assert profile.persona is None
    traits_apply(team_id=team_a.pk, profile_id=profile.pk, traits={"plan": "team"}, at=timezone.now())
    profile.refresh_from_db()
    assert profile.persona == personas["team"]


def test_a_merge_assigns_the_kept_profile_from_the_merged_traits(ingest, personas):
    # An anonymous visitor says they buy furniture; the known customer has a team plan.
    ingest(identify("1", anonymous_id="phone", traits={"product": "furniture"}))
    ingest(identify("2", user_id="ana", traits={"plan": "team"}))
    anonymous = Profile.objects.get(identities__value="phone")
    known = profile_of("ana")
    assert anonymous.persona == personas["shopper"]
    assert known.persona == personas["team"]

    ingest({"type": "track", "event": "Signed In", "userId": "ana", "anonymousId": "phone", "messageId": "3"})

    kept = profile_of("ana")
    assert kept.pk == anonymous.pk  # the older profile is kept
    assert kept.traits == {"plan": "team", "product": "furniture"}
    assert kept.persona == personas["shopper"]  # priority 10 beats 20
    known.refresh_from_db()
    assert known.merged_into_id == kept.pk and known.persona is None


def test_a_batch_reads_the_personas_once_not_per_event(ingest, personas, django_assert_max_num_queries):
    items = [identify(str(i), user_id=f"u{i}", traits={"plan": "team", "seats": i * 10}) for i in range(30)]
    with CaptureQueriesContext(connection) as queries:
        result = ingest(*items)
    assert result.stored == 30
    persona_reads = [q for q in queries.captured_queries if '"personas_persona"' in q["sql"]]
    assert len(persona_reads) == 1
    assignments = dict(Profile.objects.filter(user_id__startswith="u").values_list("user_id", "persona__name"))
    assert assignments["u3"] == "Team buyer" and assignments["u5"] == "Team buyer"
    assert assignments["u6"] == "Big team" and assignments["u29"] == "Big team"


def test_assign_for_profiles_is_set_wise(ingest, personas, team_a, django_assert_max_num_queries):
    ingest(*[identify(str(i), user_id=f"u{i}", traits={"plan": "free"}) for i in range(40)])
    ids = list(Profile.objects.values_list("pk", flat=True))
    Profile.objects.filter(pk__in=ids[:20]).update(traits={"plan": "team"})
    Profile.objects.filter(pk__in=ids[20:]).update(traits={"product": "furniture"})
    # personas, profiles, one UPDATE per persona that gains profiles
    with django_assert_max_num_queries(4):
        changed = persona_assign.persona_assign_for_profiles(team_a.pk, ids)
    assert changed == 40
    assert Profile.objects.filter(persona=personas["team"]).count() == 20
    assert Profile.objects.filter(persona=personas["shopper"]).count() == 20
    with django_assert_max_num_queries(2):
        assert persona_assign.persona_assign_for_profiles(team_a.pk, ids) == 0


def test_a_rule_change_reassigns_the_team_in_batches_after_the_commit(
    ingest, personas, erin, settings, django_capture_on_commit_callbacks, team_b, oscar
):
    settings.CUSTOMERS_PERSONA_BATCH_SIZE = 7
    ingest(*[identify(str(i), user_id=f"u{i}", traits={"plan": "team", "seats": i}) for i in range(25)])
    assert Profile.objects.filter(persona=personas["team"]).count() == 25
    other = persona_services.persona_create(
        team=team_b, actor=oscar, name="B", trait_rules=[{"trait": "plan", "op": "exists"}]
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        persona_services.persona_update(
            persona=personas["big"],
            actor=erin,
            trait_rules=[{"trait": "plan", "op": "eq", "value": "team"}, {"trait": "seats", "op": "gt", "value": 9}],
        )
    assert len(callbacks) == 1
    assert Profile.objects.filter(persona=personas["big"]).count() == 15  # seats 10 … 24
    assert Profile.objects.filter(persona=personas["team"]).count() == 10
    assert not Profile.objects.filter(persona=other).exists()  # another team's persona never applies

    # Idempotent: run again, nothing changes.
    assert profiles_persona_assign(personas["big"].team_id) == 0

    # Archiving takes the persona out of the assignment.
    with django_capture_on_commit_callbacks(execute=True):
        persona_services.persona_archive(persona=personas["big"], actor=erin)
    assert Profile.objects.filter(persona=personas["team"]).count() == 25


def test_rules_change_task_queries_grow_with_batches_not_profiles(ingest, personas, team_a, settings):
    settings.CUSTOMERS_PERSONA_BATCH_SIZE = 50
    ingest(*[identify(str(i), user_id=f"u{i}", traits={"plan": "team"}) for i in range(100)])
    Profile.objects.update(persona=None)
    with CaptureQueriesContext(connection) as queries:
        assert persona_assign.profiles_persona_assign(team_id=team_a.pk) == 100
    # personas once; per batch (2, then an empty one): a SELECT and one UPDATE per persona; savepoints aside
    statements = [q for q in queries.captured_queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) <= 1 + 2 * 2 + 1


def test_deleting_a_persona_hands_its_profiles_to_the_next_match(
    ingest, personas, erin, django_capture_on_commit_callbacks
):
    ingest(identify("1", user_id="ana", traits={"plan": "team", "seats": 90}))
    assert profile_of("ana").persona == personas["big"]
    with django_capture_on_commit_callbacks(execute=True):
        persona_services.persona_delete(persona=personas["big"], actor=erin)
    assert profile_of("ana").persona == personas["team"]


def test_no_rules_left_clears_everyone(ingest, personas, erin, django_capture_on_commit_callbacks):
    ingest(identify("1", user_id="ana", traits={"plan": "team"}))
    with django_capture_on_commit_callbacks(execute=True):
        for persona in personas.values():
            persona_services.persona_update(persona=persona, actor=erin, trait_rules=[])
    assert profile_of("ana").persona is None


# --- reading it back -------------------------------------------------------------------------------


def test_profiles_filter_by_persona_in_the_api_and_the_page(ingest, personas, api_as, client_as, victor):
    ingest(
        identify("1", user_id="ana", traits={"plan": "team"}),
        identify("2", user_id="bo", traits={"product": "furniture"}),
        identify("3", user_id="cy", traits={"plan": "free"}),
    )
    api = api_as(victor)
    listed = api.get("/api/v1/profiles/", {"persona": personas["team"].pk}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [(row["user_id"], row["persona"], row["persona_name"]) for row in rows] == [
        ("ana", personas["team"].pk, "Team buyer")
    ]
    assert api.get("/api/v1/profiles/", {"persona": "team"}).status_code == 400
    detail = api.get(f"/api/v1/profiles/{profile_of('cy').pk}/").json()
    assert detail["persona"] is None and detail["persona_name"] is None

    page = client_as(victor).get(reverse("customers:profile_list"), {"persona": personas["shopper"].pk})
    body = page.content.decode()
    assert page.status_code == 200
    assert ">bo <small>" in body and ">ana <small>" not in body
    assert f'<option value="{personas["shopper"].pk}" selected>Shopper</option>' in body


def test_profile_page_shows_the_persona(ingest, personas, client_as, victor):
    ingest(identify("1", user_id="ana", traits={"plan": "team"}))
    body = client_as(victor).get(reverse("customers:profile_detail", args=[profile_of("ana").pk])).content.decode()
    assert f'<a href="{personas["team"].get_absolute_url()}">Team buyer</a>' in body


def test_persona_page_counts_its_profiles_and_links_to_them(ingest, personas, client_as, victor):
    ingest(identify("1", user_id="ana", traits={"plan": "team"}), identify("2", user_id="bo", traits={"plan": "team"}))
    body = client_as(victor).get(personas["team"].get_absolute_url()).content.decode()
    assert "2 customer profiles are this persona now." in body
    assert f"/customers/?persona={personas['team'].pk}" in body


def test_profile_list_queries_do_not_grow_with_profiles(
    ingest, personas, client_as, victor, django_assert_max_num_queries
):
    ingest(*[identify(str(i), user_id=f"u{i}", traits={"plan": "team"}) for i in range(30)])
    client = client_as(victor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("customers:profile_list"))
    assert response.content.decode().count("Team buyer</a>") == 30
