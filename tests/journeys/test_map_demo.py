import pytest

from journeys import demo
from journeys.models import JourneyMap, MapVersion, Touchpoint
from journeys.snapshot import diff_documents
from owners import demo as owner_demo
from owners.models import SLA, Handoff, Ownership, Playbook
from teams import demo as team_demo

pytestmark = pytest.mark.usefixtures("isolated_registry")


@pytest.mark.django_db
def test_demo_seeds_three_maps_with_two_versions_each_and_is_idempotent():
    context = team_demo.seed()
    maps = demo.seed(context)["maps"]
    assert set(maps) == {"shop", "bank", "travel"}
    for journey_map in maps.values():
        v1, v2 = (MapVersion.objects.get(journey_map=journey_map, number=n).snapshot for n in (1, 2))
        assert diff_documents(v1, v2)["summary"]["total"] > 0
    assert demo.seed(context)["maps"]["shop"] == maps["shop"]
    assert JourneyMap.objects.count() == 3


@pytest.mark.django_db
def test_zh_hant_demo_team_gets_the_funnel_map_and_the_bulk_order_map_once():
    from personas import demo as persona_demo
    from teams.models import Team

    context = team_demo.seed()
    zh_context = team_demo.seed_zh_hant(context)
    zh_context.update(persona_demo.seed_zh_hant(zh_context))
    maps = demo.seed_zh_hant(zh_context)["maps"]
    owner_demo.seed_zh_hant({**zh_context, "maps": maps})
    assert set(maps) == {"funnel", "b2b"}
    funnel = maps["funnel"]
    assert funnel.title == "行銷漏斗：新客從認識品牌到回購"
    assert funnel.team == Team.objects.get(slug="morning-light")
    assert funnel.persona.name == "重視質感的小資上班族"
    assert list(funnel.stages.order_by("position").values_list("name", "funnel")) == [
        ("漏斗頂部：認知", "top"),
        ("漏斗中部：考慮", "middle"),
        ("漏斗底部：轉換", "bottom"),
        ("漏斗底部：留存", "bottom"),
    ]
    channels = set(Touchpoint.objects.filter(stage__journey_map=funnel).values_list("channel", flat=True))
    assert {"ad", "page", "social", "store", "chat", "sms", "email", "push"} <= channels
    moments = Touchpoint.objects.filter(stage__journey_map=funnel, is_moment=True)
    assert set(moments.values_list("moment_kind", flat=True)) == {
        "loss_risk",
        "first_value",
        "first_repeat",
        "first_referral",
    }
    for journey_map in maps.values():
        v1, v2 = (MapVersion.objects.get(journey_map=journey_map, number=n).snapshot for n in (1, 2))
        assert diff_documents(v1, v2)["summary"]["total"] > 0
    # Version 2 fixed the delivery date's pain point and put the date on the product page.
    cart = Touchpoint.objects.get(stage__journey_map=funnel, name="購物車與運送方式")
    assert cart.pain_points.get(title__startswith="預計到貨日").status == "fixed"
    assert Ownership.objects.filter(journey_map=funnel, role="accountable").count() == 6
    assert SLA.objects.filter(touchpoint__stage__journey_map=funnel).count() == 5
    assert "首購訂單延遲到貨" in set(Playbook.objects.filter(journey_map=funnel).values_list("name", flat=True))
    counts = [m.objects.count() for m in (JourneyMap, MapVersion, Touchpoint, Ownership, SLA, Handoff, Playbook)]
    assert demo.seed_zh_hant(zh_context)["maps"]["funnel"] == funnel
    owner_demo.seed_zh_hant({**zh_context, "maps": maps})
    assert [
        m.objects.count() for m in (JourneyMap, MapVersion, Touchpoint, Ownership, SLA, Handoff, Playbook)
    ] == counts
    assert JourneyMap.objects.count() == 2
