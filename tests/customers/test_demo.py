from django.core.management import call_command

from customers.models import Event, Profile, ProfileStage, Source, StageTransition, TrackingRule


def test_seed_demo_makes_customers_on_the_demo_maps_once(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    source = Source.objects.get(name="Demo website")
    events = Event.objects.filter(source=source).count()
    assert events > 1000
    assert Profile.objects.filter(team=source.team, merged_into__isnull=True, user_id__startswith="demo-").count() > 100
    assert TrackingRule.objects.filter(team=source.team).count() >= 15
    assert ProfileStage.objects.filter(team=source.team).count() > 300
    # The shop loses carts at Decision: fewer enter Purchase than Decision.
    shop_entries = {
        name: StageTransition.objects.filter(
            to_stage__journey_map__title__icontains="furniture", to_stage__name=name
        ).count()
        for name in ("Decision", "Purchase")
    }
    assert 0 < shop_entries["Purchase"] < shop_entries["Decision"]
    call_command("seed_demo", verbosity=0)
    assert Event.objects.filter(source=source).count() == events


def test_seed_demo_gives_every_identified_customer_the_persona_of_their_case(db):
    call_command("seed_demo", verbosity=0)
    source = Source.objects.get(name="Demo website")
    identified = Profile.objects.filter(team=source.team, merged_into__isnull=True).exclude(traits={})
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
