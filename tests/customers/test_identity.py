"""Identity resolution: one profile per person, merges recorded, guard rails held, events never rewritten."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from customers.identity import identities_link
from customers.ingest import is_blocked
from customers.models import Event, Identity, Profile, ProfileMerge, TraitChange
from customers.selectors import profile_timeline
from customers.services import events_ingest


@pytest.fixture
def ingest(source):
    def run(*items, at=None):
        return events_ingest(source=source, items=list(items), received_at=at or timezone.now())

    return run


def live_profiles():
    return Profile.objects.filter(merged_into__isnull=True)


def test_identify_attaches_anonymous_history_to_the_known_profile(ingest):
    ingest({"type": "identify", "userId": "ana", "anonymousId": "laptop", "messageId": "1"})
    # Later, on a phone, before signing in:
    ingest(
        {"type": "page", "anonymousId": "phone", "messageId": "2", "properties": {"path": "/cart"}},
        {"type": "track", "event": "Cart Viewed", "anonymousId": "phone", "messageId": "3"},
    )
    assert live_profiles().count() == 2
    phone_event_rows = list(
        Event.objects.filter(message_id__in=["2", "3"]).order_by("id").values_list("id", "identity_id", "user_id")
    )

    ingest({"type": "identify", "userId": "ana", "anonymousId": "phone", "messageId": "4"})

    profile = live_profiles().get()
    assert profile.user_id == "ana"
    assert set(Identity.objects.filter(profile=profile).values_list("kind", "value")) == {
        ("user_id", "ana"),
        ("anonymous_id", "laptop"),
        ("anonymous_id", "phone"),
    }
    # The events were not rewritten; they reach the profile through their identity.
    assert list(
        Event.objects.filter(message_id__in=["2", "3"]).order_by("id").values_list("id", "identity_id", "user_id")
    ) == (phone_event_rows)
    assert Event.objects.filter(identity__profile=profile).count() == 4
    merge = ProfileMerge.objects.get()
    assert (merge.status, merge.trigger, merge.into_profile, merge.identifier) == (
        "merged",
        "identify",
        profile,
        "anonymous_id:phone",
    )
    assert Profile.objects.get(pk=merge.from_profile_id).merged_into == profile


def test_first_identify_of_a_new_visitor_makes_one_profile_and_no_merge(ingest):
    ingest({"type": "identify", "userId": "ben", "anonymousId": "a-ben", "messageId": "1"})
    assert Profile.objects.count() == 1
    assert ProfileMerge.objects.count() == 0


def test_sign_up_of_a_known_visitor_keeps_their_profile_without_a_merge_record(ingest):
    ingest({"type": "track", "event": "Viewed", "anonymousId": "a-cat", "messageId": "1"})
    profile = Profile.objects.get()
    ingest({"type": "identify", "userId": "cat", "anonymousId": "a-cat", "messageId": "2"})
    assert list(Profile.objects.all()) == [profile]
    profile.refresh_from_db()
    assert profile.user_id == "cat"
    assert ProfileMerge.objects.count() == 0


def test_merge_joining_two_user_ids_is_refused_and_recorded(ingest):
    ingest({"type": "identify", "userId": "dan", "anonymousId": "shared-tablet", "messageId": "1"})
    ingest({"type": "identify", "userId": "eve", "messageId": "2"})
    # Eve signs in on Dan's tablet.
    response = ingest({"type": "identify", "userId": "eve", "anonymousId": "shared-tablet", "messageId": "3"})
    assert response.stored == 1
    dan = Profile.objects.get(user_id="dan")
    eve = Profile.objects.get(user_id="eve")
    assert dan.merged_into is None and eve.merged_into is None
    assert Identity.objects.get(value="shared-tablet").profile == dan
    refused = ProfileMerge.objects.get()
    assert refused.status == "refused"
    assert "two different user ids" in refused.reason
    assert {refused.into_profile_id, refused.from_profile_id} == {dan.pk, eve.pk}
    # The event is stored, on the user id it carried.
    assert Event.objects.get(message_id="3").identity.profile == eve


def test_database_refuses_a_second_user_id_on_a_profile(ingest):
    from django.db import IntegrityError, transaction

    ingest({"type": "identify", "userId": "fay", "messageId": "1"})
    profile = Profile.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Identity.objects.create(team=profile.team, profile=profile, kind="user_id", value="other")


def test_alias_links_a_previous_id(ingest):
    ingest({"type": "track", "event": "Viewed", "userId": "old-crm-id", "messageId": "1"})
    ingest({"type": "track", "event": "Bought", "anonymousId": "a-gus", "messageId": "2"})
    ingest({"type": "identify", "userId": "gus", "anonymousId": "a-gus", "messageId": "3"})
    # Linking a former user id to the new one would join two user ids: refused.
    ingest({"type": "alias", "userId": "gus", "previousId": "old-crm-id", "messageId": "4"})
    assert ProfileMerge.objects.filter(status="refused", trigger="alias").count() == 1
    # An alias for an id never seen before joins the profile.
    ingest({"type": "alias", "userId": "gus", "previousId": "newsletter-77", "messageId": "5"})
    gus = Profile.objects.get(user_id="gus")
    assert Identity.objects.get(value="newsletter-77").profile == gus
    assert Identity.objects.get(value="newsletter-77").kind == "alias"


def test_alias_merges_an_anonymous_profile(ingest):
    ingest({"type": "track", "event": "Viewed", "anonymousId": "a-hal", "messageId": "1"})
    ingest({"type": "identify", "userId": "hal", "messageId": "2"})
    ingest({"type": "alias", "userId": "hal", "previousId": "a-hal", "messageId": "3"})
    profile = live_profiles().get()
    assert profile.user_id == "hal"
    assert Event.objects.filter(identity__profile=profile).count() == 3
    assert ProfileMerge.objects.get().status == "merged"


@pytest.mark.parametrize(
    "value",
    ["", "null", "NULL", "undefined", "anonymous", "0", "-1", "00000000-0000-0000-0000-000000000000", "000", " none "],
)
def test_blocked_values(value):
    assert is_blocked(value)


@pytest.mark.parametrize("value", ["ana", "10", "0a", "user-0", "-2"])
def test_ordinary_values_are_not_blocked(value):
    assert not is_blocked(value)


def test_blocked_user_id_never_joins_two_people(ingest):
    ingest({"type": "identify", "userId": "undefined", "anonymousId": "a-ivy", "messageId": "1"})
    ingest({"type": "identify", "userId": "undefined", "anonymousId": "a-jon", "messageId": "2"})
    assert live_profiles().count() == 2
    assert not Identity.objects.filter(kind="user_id").exists()


def test_traits_latest_value_wins_and_history_is_kept(ingest):
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    ingest(
        {"type": "identify", "userId": "kim", "traits": {"plan": "free", "country": "LV"}, "timestamp": t0.isoformat()}
    )
    ingest(
        {
            "type": "identify",
            "userId": "kim",
            "traits": {"plan": "team"},
            "timestamp": (t0 + timedelta(days=2)).isoformat(),
        }
    )
    # A late event from before the upgrade reaches the history, not the profile.
    ingest(
        {
            "type": "identify",
            "userId": "kim",
            "traits": {"plan": "trial"},
            "timestamp": (t0 + timedelta(days=1)).isoformat(),
        }
    )
    profile = Profile.objects.get()
    assert profile.traits == {"plan": "team", "country": "LV"}
    history = list(
        TraitChange.objects.filter(profile=profile, key="plan").order_by("changed_at").values_list("value", flat=True)
    )
    assert history == ["free", "trial", "team"]


def test_unchanged_traits_write_no_history(ingest):
    ingest({"type": "identify", "userId": "lea", "traits": {"plan": "team"}})
    ingest({"type": "identify", "userId": "lea", "traits": {"plan": "team"}})
    assert TraitChange.objects.count() == 1


def test_merge_keeps_the_later_trait_and_both_histories(ingest):
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    ingest({"type": "identify", "userId": "max", "traits": {"plan": "free"}, "timestamp": t0.isoformat()})
    ingest(
        {
            "type": "identify",
            "anonymousId": "a-max",
            "traits": {"plan": "team", "city": "Riga"},
            "timestamp": (t0 + timedelta(days=1)).isoformat(),
        }
    )
    ingest(
        {"type": "identify", "userId": "max", "anonymousId": "a-max", "timestamp": (t0 + timedelta(days=2)).isoformat()}
    )
    profile = live_profiles().get()
    assert profile.traits == {"plan": "team", "city": "Riga"}
    assert TraitChange.objects.filter(profile=profile).count() == 3


def test_timeline_interleaves_events_and_merges(ingest):
    t0 = timezone.now() - timedelta(hours=1)
    ingest({"type": "track", "event": "Viewed", "anonymousId": "a-ned", "messageId": "1", "timestamp": t0.isoformat()})
    ingest(
        {"type": "identify", "userId": "ned", "messageId": "2", "timestamp": (t0 + timedelta(minutes=1)).isoformat()}
    )
    ingest({"type": "identify", "userId": "ned", "anonymousId": "a-ned", "messageId": "3"})
    profile = live_profiles().get()
    kinds = [item.kind for item in profile_timeline(profile=profile)]
    assert kinds.count("event") == 3
    assert kinds.count("merge") == 1


def test_link_on_unknown_user_key_does_nothing(team_a):
    assert (
        identities_link(team_id=team_a.pk, user_key=("user_id", "x"), other_key=("anonymous_id", "y"), trigger="t")
        is None
    )


def test_identities_load_reads_each_kind_and_only_the_team(ingest, source):
    from customers.identity import identities_load
    from teams.models import Team

    ingest(
        {"type": "identify", "userId": "ana", "anonymousId": "laptop", "messageId": "1"},
        {"type": "track", "event": "E", "anonymousId": "phone", "messageId": "2"},
    )
    other = Team.objects.create(name="Other")
    other_profile = Profile.objects.create(team=other, user_id="ana")
    Identity.objects.create(team=other, profile=other_profile, kind=Identity.Kind.USER_ID, value="ana")
    keys = {("user_id", "ana"), ("anonymous_id", "laptop"), ("anonymous_id", "phone"), ("anonymous_id", "ana")}

    found = identities_load(team_id=source.team_id, keys=keys)

    stored = {
        (row.kind, row.value): (row.pk, row.profile_id) for row in Identity.objects.filter(team_id=source.team_id)
    }
    assert {key: (row.pk, row.profile_id) for key, row in found.items()} == stored
    assert set(found) == {("user_id", "ana"), ("anonymous_id", "laptop"), ("anonymous_id", "phone")}
    assert found[("user_id", "ana")].profile_id == found[("anonymous_id", "laptop")].profile_id
    assert identities_load(team_id=source.team_id, keys=[]) == {}
