"""Customers objects for the access test (tests/test_access.py), built through the real services."""

from django.utils import timezone

from customers import services, stages
from customers.models import (
    Erasure,
    Event,
    Identity,
    IngestRefusal,
    PrivacySettings,
    Profile,
    ProfileMerge,
    ProfileStage,
    Source,
    StageTransition,
    TrackingRule,
    TrackingRuleDay,
    TraitChange,
)
from journeys.models import JourneyMap, Stage, Touchpoint


def _source(world, people):
    return services.source_create(team=people["team"], actor=people["admin"], name="Probe site")[0]


def _event(world, people):
    services.events_ingest(
        source=world[Source],
        items=[
            {"type": "identify", "userId": "probe-user", "anonymousId": "probe-anon", "traits": {"plan": "team"}},
            {"type": "track", "event": "Probe Viewed", "anonymousId": "probe-anon-2", "messageId": "probe-2"},
            {"type": "identify", "userId": "probe-user", "anonymousId": "probe-anon-2"},
        ],
        received_at=timezone.now(),
    )
    return Event.objects.filter(source=world[Source]).order_by("id").first()


def _merge(world, people):
    # Where the ingestion's merge has not been recorded in this transaction, record a refused one.
    merge = ProfileMerge.objects.filter(team=people["team"]).first()
    if merge is None:
        profiles = Profile.objects.filter(team=people["team"])
        other = profiles.exclude(pk=world[Profile].pk).first() or world[Profile]
        merge = ProfileMerge.objects.create(
            team=people["team"],
            into_profile=world[Profile],
            from_profile=other,
            status=ProfileMerge.Status.REFUSED,
            trigger="identify",
            identifier="user_id:probe-other",
            reason="probe",
        )
    return merge


def _rule(world, people):
    return services.tracking_rule_create(
        actor=people["admin"], stage=world[Stage], touchpoint=world[Touchpoint], event_name="Probe Viewed"
    )


def _transition(world, people):
    transition = StageTransition.objects.filter(profile=world[Profile]).first()
    if transition is None:
        transition = StageTransition.objects.create(
            team=people["team"],
            profile=world[Profile],
            journey_map=world[JourneyMap],
            to_stage=world[Stage],
            entered_at=timezone.now(),
        )
    return transition


def _current(world, people):
    current, _ = ProfileStage.objects.get_or_create(
        profile=world[Profile],
        journey_map=world[JourneyMap],
        defaults={
            "team": people["team"],
            "stage": world[Stage],
            "entered_at": timezone.now(),
            "transition": world[StageTransition],
        },
    )
    return current


def _refusal(world, people):
    services.refusals_record(
        source=world[Source],
        received_at=timezone.now(),
        refusals=[{"code": "missing_event", "field": "event", "message": "track needs an event name."}],
    )
    return IngestRefusal.objects.filter(source=world[Source]).first()


def _rule_day(world, people):
    stages.rollup_rebuild(journey_map_id=world[JourneyMap].pk)
    return TrackingRuleDay.objects.filter(rule=world[TrackingRule]).first() or TrackingRuleDay.objects.create(
        team=people["team"],
        journey_map=world[JourneyMap],
        rule=world[TrackingRule],
        day=timezone.now().date(),
        identity=world[Identity],
        events=1,
    )


BUILDERS = [
    (Source, _source),
    (Event, _event),
    (Profile, lambda world, people: Profile.objects.get(team=people["team"], user_id="probe-user")),
    (Identity, lambda world, people: Identity.objects.filter(profile=world[Profile]).first()),
    (ProfileMerge, _merge),
    (TraitChange, lambda world, people: TraitChange.objects.filter(profile=world[Profile]).first()),
    (TrackingRule, _rule),
    (TrackingRuleDay, _rule_day),
    (IngestRefusal, _refusal),
    (StageTransition, _transition),
    (ProfileStage, _current),
    (
        PrivacySettings,
        lambda world, people: services.privacy_settings_update(
            actor=people["admin"], team=people["team"], consent_category="Analytics"
        ),
    ),
    # An id nobody holds: the erasure is recorded and the probe's own profile stays.
    (
        Erasure,
        lambda world, people: services.profile_erase(actor=people["admin"], team=people["team"], user_id="probe-gone"),
    ),
]

URL_KWARGS = {
    "source_pk": lambda world: world[Source].pk,
    "profile_pk": lambda world: world[Profile].pk,
    "rule_pk": lambda world: world[TrackingRule].pk,
}
