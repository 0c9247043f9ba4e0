"""seed_demo's customers: event streams through the real ingestion with the worked cases' shapes.

The streams come from a seeded random generator, so the figures are the same on every run; the
assertions are about shapes (what the cases describe), with the counts they rest on.
"""

from django.core.management import call_command
from django.db.models import F
from django.db.models.functions import Coalesce

from customers import demo
from customers.models import Event, Identity, Profile, ProfileMerge, ProfileStage, Source, StageTransition, TrackingRule
from journeys.models import JourneyMap, Touchpoint

PER_MAP = 150


def test_seed_demo_makes_the_worked_cases_through_the_ingestion_once(db, settings, django_capture_on_commit_callbacks):
    # One seeding for every check: seeding is the expensive part.
    settings.CUSTOMERS_DEMO_PROFILES_PER_MAP = PER_MAP
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    seeded = Source.objects.filter(name=demo.SOURCE_NAME)
    every_demo_map_has_a_tracking_plan_and_customers_in_its_stages(seeded)
    every_identified_customer_has_the_persona_of_their_case()
    fewer_people_enter_each_stage_than_the_one_before()
    the_furniture_shop_loses_most_at_decision_and_the_leavers_read_returns_and_delivery()
    some_anonymous_visitors_are_merged_into_identified_customers_with_traits()
    events, profiles = Event.objects.count(), Profile.objects.count()
    call_command("seed_demo", verbosity=0)
    assert (Event.objects.count(), Profile.objects.count()) == (events, profiles)


def _people_per_stage(journey_map) -> list[tuple[str, int]]:
    """Distinct people (a merged profile counts as the profile it joined) who entered each stage."""
    return [
        (
            stage.name,
            StageTransition.objects.filter(to_stage=stage)
            .annotate(person=Coalesce(F("profile__merged_into"), F("profile")))
            .values("person")
            .distinct()
            .count(),
        )
        for stage in journey_map.stages.order_by("position")
    ]


def every_demo_map_has_a_tracking_plan_and_customers_in_its_stages(seeded):
    assert seeded.count() == 2  # one per demo team
    maps = JourneyMap.objects.filter(team__in=[source.team for source in seeded])
    assert maps.count() == 5
    for journey_map in maps:
        touchpoints = Touchpoint.objects.filter(stage__journey_map=journey_map)
        ruled = TrackingRule.objects.filter(journey_map=journey_map, touchpoint__isnull=False)
        assert set(ruled.values_list("touchpoint", flat=True)) == set(touchpoints.values_list("pk", flat=True))
        in_stages = ProfileStage.objects.filter(journey_map=journey_map)
        assert in_stages.values("stage").distinct().count() == journey_map.stages.count(), journey_map.title
    # Every event went through ingestion and matching.
    assert Event.objects.filter(matched_at__isnull=True).count() == 0
    english = seeded.get(team__slug="northwind")
    assert Event.objects.filter(source=english).count() > 10 * PER_MAP


def fewer_people_enter_each_stage_than_the_one_before():
    for journey_map in JourneyMap.objects.filter(team__slug__in=["northwind", "morning-light"]):
        counts = [n for _name, n in _people_per_stage(journey_map)]
        assert counts == sorted(counts, reverse=True), (journey_map.title, counts)
        assert counts[-1] > 0
    for title in ("Online furniture order", "Home loan application", "First package holiday booking"):
        # Every customer arrives at the first stage.
        assert _people_per_stage(JourneyMap.objects.get(title=title))[0][1] == PER_MAP


def the_furniture_shop_loses_most_at_decision_and_the_leavers_read_returns_and_delivery():
    shop = JourneyMap.objects.get(title="Online furniture order")
    counts = _people_per_stage(shop)
    names = [name for name, _n in counts]
    drop = {names[i]: 1 - counts[i + 1][1] / counts[i][1] for i in range(len(counts) - 1)}
    assert max(drop, key=drop.get) == "Decision", drop
    assert drop["Decision"] > 0.55
    decision, purchase = (shop.stages.get(name=name) for name in ("Decision", "Purchase"))
    # Many reach Decision: more than half the customers.
    assert dict(counts)["Decision"] > PER_MAP / 2

    def people(**filters):
        profiles = Identity.objects.filter(events__in=Event.objects.filter(**filters)).values_list("profile", flat=True)
        return set(Profile.objects.filter(pk__in=profiles).values_list(Coalesce("merged_into", "pk"), flat=True))

    def entered(stage):
        transitions = StageTransition.objects.filter(to_stage=stage).select_related("profile")
        return {t.profile.merged_into_id or t.profile_id for t in transitions}

    reached, bought = entered(decision), entered(purchase)
    left = reached - bought
    worried = people(path__in=["/shop/help/returns", "/shop/help/delivery"])
    assert len(left) > 50 and len(bought) > 20
    assert len(left & worried) / len(left) > 2 * len(bought & worried) / len(bought)


def some_anonymous_visitors_are_merged_into_identified_customers_with_traits():
    team = Source.objects.get(name=demo.SOURCE_NAME, team__slug="northwind").team
    merges = ProfileMerge.objects.filter(team=team, status="merged")
    assert merges.count() >= 10
    for merge in merges.select_related("into_profile", "from_profile")[:20]:
        assert merge.into_profile.user_id.startswith("demo-")
        assert merge.from_profile.merged_into_id == merge.into_profile_id
        assert Identity.objects.filter(profile=merge.into_profile, kind="anonymous_id").count() >= 2
    identified = Profile.objects.filter(team=team, merged_into__isnull=True).exclude(user_id="")
    assert identified.count() > PER_MAP / 2
    for profile in identified[:50]:
        # email, first_name and locale: given by the automations' demo, so its emails have an address and a language.
        sent = {"plan", "country", "device", "product", "email", "first_name", "locale"}
        assert {"plan", "country", "device"} <= set(profile.traits) <= sent
    assert {p.traits["device"] for p in identified} == {"mobile", "desktop", "tablet"}
    # The second team's maps have stages of their own names: identified at the third stage.
    zh = Profile.objects.filter(team__slug="morning-light", merged_into__isnull=True).exclude(user_id="")
    assert zh.count() > 5
    assert Event.objects.filter(team=zh[0].team, type="identify").first().context["locale"] == "zh-TW"


def every_identified_customer_has_the_persona_of_their_case():
    identified = Profile.objects.filter(team__slug="northwind", merged_into__isnull=True).exclude(traits={})
    assert identified.count() > 100
    by_product = {
        (product, name): identified.filter(traits__product=product, persona__name=name).count()
        for product, name in (
            ("furniture", "Careful online shopper"),
            ("loan", "First-time loan applicant"),
            ("holiday", "Trust-seeking traveller"),
        )
    }
    assert all(count > 0 for count in by_product.values()), by_product
    assert sum(by_product.values()) == identified.count()
    assert not identified.filter(persona__isnull=True).exists()
