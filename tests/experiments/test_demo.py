"""The demo experiments: one supported, one refuted, one inconclusive, and the zh-Hant team's own log.

Seeding twice duplicates nothing.
"""

import pytest
from django.core.management import call_command

from experiments.models import Experiment, Metric, Observation


@pytest.mark.django_db
def test_seed_demo_gives_three_outcomes_and_is_idempotent():
    call_command("seed_demo", verbosity=0)
    english = Experiment.objects.filter(team__slug="northwind")
    outcomes = dict(english.filter(status="concluded").values_list("title", "outcome"))
    assert outcomes == {
        "Delivery date and free returns on the product page": "supported",
        "Three-step application onboarding": "inconclusive",
        "Customer stories on destination pages": "refuted",
    }
    onboarding = Experiment.objects.get(title="Three-step application onboarding")
    assert onboarding.change == "Cut onboarding from 4 steps to 3" and onboarding.expected_effect == 8
    travel = Experiment.objects.get(title="Customer stories on destination pages")
    assert travel.result["observational"] is True
    assert travel.result["metrics"][0]["its"]["level_change"] is not None
    assert travel.result["metrics"][1]["comparison"]["test"] == "nps_difference"
    # The Traditional Chinese team: its own metrics and log, one concluded, one running, one idea.
    zh_hant = Experiment.objects.filter(team__slug="morning-light")
    assert dict(zh_hant.values_list("title", "status")) == {
        "商品頁顯示預計到貨日與免運門檻": "concluded",
        "LINE 回購提醒依購買週期發送": "running",
        "報價單附上可直接轉寄主管的比價表": "idea",
    }
    delivery = zh_hant.get(status="concluded")
    assert delivery.outcome == "supported" and delivery.decision == "ship"
    assert delivery.primary_metric.name == "購物車到結帳轉換率"
    assert delivery.map_version.journey_map.title == "行銷漏斗：新客從認識品牌到回購"
    assert Observation.objects.filter(metric__team__slug="morning-light", metric__key="line-blocks").count() == 6
    counts = (Experiment.objects.count(), Metric.objects.count(), Observation.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Experiment.objects.count(), Metric.objects.count(), Observation.objects.count()) == counts
