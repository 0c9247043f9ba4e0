"""Demo data for the experiment log: the seeds' onboarding experiment and two more on the demo maps.

- shop: delivery date and free returns on the product page (A/B) → cart-to-checkout rises: supported;
- bank: the application onboarding cut from 4 steps to 3 (A/B) → activations +8 % expected: inconclusive;
- travel: customer stories on the destination pages (before/after, observational) → quote-to-booking
  rate +10 % expected: refuted, with an NPS guardrail and an interrupted-time-series fit.

``seed_zh_hant`` gives the Traditional Chinese team (晨光選物) its own: the delivery date on the
product page (A/B, concluded: supported), LINE reminders timed to the buying cycle (A/B, running) and
an idea for the bulk-order quotes.

Observations are generated from a fixed seed, so every run gives the same numbers. Running the seed
again changes nothing (experiments are found by title, metrics by key, observations upserted).
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from journeys.models import MapVersion, PainPoint, Touchpoint

from . import services
from .models import Experiment, Metric

METRICS = [
    # key, name, kind, unit, better, map key, touchpoint name
    ("cart-to-checkout", "Cart-to-checkout rate", "proportion", "%", "higher", "shop", "Cart and delivery options"),
    ("order-value", "Average order value", "mean", "€", "higher", "shop", "Checkout"),
    ("activation", "Activation rate", "proportion", "%", "higher", "bank", "Online loan application"),
    ("advisor-calls", "Calls to the loan advisor", "count", "calls", "lower", "bank", "Call to the loan advisor"),
    ("quote-to-booking", "Quote-to-booking rate", "proportion", "%", "higher", "travel", "Package comparison"),
    ("trip-nps", "Booking NPS", "nps", "points", "higher", "travel", "Booking and payment"),
]


def _monday(weeks_ago: int) -> dt.date:
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7 * weeks_ago)


def _touchpoint(journey_map, name: str):
    if journey_map is None:
        return None
    return Touchpoint.objects.filter(stage__journey_map=journey_map, name=name).select_related("stage").first()


def _metrics(team, user, maps: dict, table=METRICS) -> dict[str, Metric]:
    metrics = {}
    for key, name, kind, unit, better, map_key, tp_name in table:
        metric = Metric.objects.filter(team=team, key=key).first()
        if metric is None:
            touchpoint = _touchpoint(maps.get(map_key), tp_name)
            metric = services.metric_create(
                team=team, actor=user, name=name, key=key, kind=kind, unit=unit, better=better, touchpoint=touchpoint
            )
        metrics[key] = metric
    return metrics


def _ab_rows(metric, rng, weeks, start, rates, n_per_week):
    rows = []
    for week in range(weeks):
        period_start = start + dt.timedelta(days=7 * week)
        for segment, rate in rates.items():
            n = n_per_week + rng.randint(-25, 25)
            successes = sum(1 for _ in range(n) if rng.random() < rate)
            rows.append(
                {
                    "metric": metric,
                    "period_start": period_start,
                    "period_end": period_start + dt.timedelta(days=6),
                    "segment": segment,
                    "sample_size": n,
                    "successes": successes,
                }
            )
    return rows


def _mean_rows(metric, rng, weeks, start, means, n_per_week, sd):
    rows = []
    for week in range(weeks):
        period_start = start + dt.timedelta(days=7 * week)
        for segment, mean in means.items():
            rows.append(
                {
                    "metric": metric,
                    "period_start": period_start,
                    "period_end": period_start + dt.timedelta(days=6),
                    "segment": segment,
                    "sample_size": n_per_week,
                    "mean": round(mean + rng.gauss(0, sd / 12), 2),
                    "sd": round(sd + rng.gauss(0, 3), 2),
                }
            )
    return rows


def _series_rows(metric, rng, start, weeks, rate_for_week, n_per_week, kind="proportion"):
    rows = []
    for week in range(weeks):
        period_start = start + dt.timedelta(days=7 * week)
        row = {
            "metric": metric,
            "period_start": period_start,
            "period_end": period_start + dt.timedelta(days=6),
            "segment": "",
            "sample_size": n_per_week,
        }
        if kind == "proportion":
            row["successes"] = sum(1 for _ in range(n_per_week) if rng.random() < rate_for_week(week))
        else:
            promoters_p, detractors_p = rate_for_week(week)
            draws = [rng.random() for _ in range(n_per_week)]
            row["promoters"] = sum(1 for d in draws if d < promoters_p)
            row["detractors"] = sum(1 for d in draws if promoters_p <= d < promoters_p + detractors_p)
        rows.append(row)
    return rows


def _run_and_conclude(experiment, user, *, decision, learning, map_version=None):
    services.experiment_transition(experiment=experiment, actor=user, to=Experiment.Status.PLANNED)
    services.experiment_transition(experiment=experiment, actor=user, to=Experiment.Status.RUNNING)
    services.experiment_transition(experiment=experiment, actor=user, to=Experiment.Status.ANALYSING)
    return services.experiment_conclude(
        experiment=experiment, actor=user, decision=decision, learning=learning, map_version=map_version
    )


def _latest_version(journey_map):
    if journey_map is None:
        return None
    return MapVersion.objects.filter(journey_map=journey_map).order_by("-number").first()


def seed(context: dict) -> dict:
    team = context["team"]
    users = context["users"]
    maps = context.get("maps") or {}
    owner, editor = users.get("demo"), users.get("editor") or users.get("demo")
    metrics = _metrics(team, editor, maps)
    rng = random.Random(20250307)
    experiments = {}

    # Shop: supported. A/B over 6 weeks, ending 8 weeks ago.
    title = "Delivery date and free returns on the product page"
    experiment = Experiment.objects.filter(team=team, title=title).first()
    if experiment is None:
        start = _monday(14)
        cart = _touchpoint(maps.get("shop"), "Cart and delivery options")
        pain = PainPoint.objects.filter(touchpoint=cart, title__startswith="Delivery date").first() if cart else None
        rows = _ab_rows(metrics["cart-to-checkout"], rng, 6, start, {"control": 0.41, "treatment": 0.47}, 800)
        rows += _mean_rows(metrics["order-value"], rng, 6, start, {"control": 612.0, "treatment": 618.0}, 320, 180.0)
        services.observations_bulk_upsert(rows=rows, actor=None, source="api")
        experiment = services.experiment_create(
            team=team,
            actor=owner,
            title=title,
            change="Show the delivery date and the free-returns promise on the product page, before the cart",
            primary_metric=metrics["cart-to-checkout"],
            guardrail_metrics=[metrics["order-value"]],
            expected_direction="increase",
            expected_effect=10,
            expected_effect_unit="relative",
            rationale="the abandonment survey said shoppers left when they could not see when the sofa arrives",
            design="ab",
            test_start=start,
            test_end=start + dt.timedelta(days=41),
            journey_map=maps.get("shop"),
            pain_point=pain,
            touchpoint=cart if pain is None else None,
            tags=["checkout", "delivery", "returns"],
        )
        experiment = _run_and_conclude(
            experiment,
            owner,
            decision="ship",
            learning="Knowing the delivery date before the cart removes the main worry at the decision stage. "
            "Order value held. Shipped to everyone in map version 2; next: returns label in the confirmation email.",
            map_version=_latest_version(maps.get("shop")),
        )
    experiments["shop"] = experiment

    # The seeds' onboarding experiment: inconclusive. A/B over 4 weeks, ending 3 weeks ago.
    title = "Three-step application onboarding"
    experiment = Experiment.objects.filter(team=team, title=title).first()
    if experiment is None:
        start = _monday(7)
        application = _touchpoint(maps.get("bank"), "Online loan application")
        rows = _ab_rows(metrics["activation"], rng, 4, start, {"control": 0.30, "treatment": 0.312}, 260)
        services.observations_bulk_upsert(rows=rows, actor=None, source="api")
        experiment = services.experiment_create(
            team=team,
            actor=editor,
            title=title,
            change="Cut onboarding from 4 steps to 3",
            primary_metric=metrics["activation"],
            expected_direction="increase",
            expected_effect=8,
            expected_effect_unit="relative",
            rationale="step 3 repeats questions from step 1, and most drop-outs happen there",
            design="ab",
            test_start=start,
            test_end=start + dt.timedelta(days=27),
            journey_map=maps.get("bank"),
            touchpoint=application,
            tags=["onboarding", "activation"],
        )
        experiment = _run_and_conclude(
            experiment,
            editor,
            decision="iterate",
            learning="Activations rose about 4 %, but the sample could not tell that from no change; the 8 % we "
            "predicted is still possible. Re-run for 8 weeks with the document checklist in place.",
        )
    experiments["onboarding"] = experiment

    # Travel: refuted. Before/after, 10 weeks each side.
    title = "Customer stories on destination pages"
    experiment = Experiment.objects.filter(team=team, title=title).first()
    if experiment is None:
        before, after = _monday(22), _monday(12)
        rows = _series_rows(metrics["quote-to-booking"], rng, before, 20, lambda w: 0.18, 600)
        rows += _series_rows(
            metrics["trip-nps"], rng, before, 20, lambda w: (0.42, 0.22) if w < 10 else (0.50, 0.18), 140, kind="nps"
        )
        services.observations_bulk_upsert(rows=rows, actor=None, source="api")
        stories = _touchpoint(maps.get("travel"), "Customer stories with photos")
        experiment = services.experiment_create(
            team=team,
            actor=owner,
            title=title,
            change="Add customer stories with photos to the destination pages",
            primary_metric=metrics["quote-to-booking"],
            guardrail_metrics=[metrics["trip-nps"]],
            expected_direction="increase",
            expected_effect=10,
            expected_effect_unit="relative",
            rationale="first-time customers do not trust a company they do not know, and stories show real trips",
            design="before_after",
            baseline_start=before,
            baseline_end=after - dt.timedelta(days=1),
            test_start=after,
            test_end=after + dt.timedelta(days=69),
            journey_map=maps.get("travel"),
            touchpoint=stories,
            tags=["trust", "content"],
        )
        experiment = _run_and_conclude(
            experiment,
            owner,
            decision="iterate",
            learning="Stories made people feel better about us (NPS up) but did not move bookings: the trust gap is "
            "at the package comparison, not on the destination page. Keep the stories; test a price guarantee next.",
            map_version=_latest_version(maps.get("travel")),
        )
    experiments["travel"] = experiment

    # The returns page, measured from events: a behavioural metric over the shop's customers only.
    experiments["returns"] = _returns_page_experiment(team, owner, maps.get("shop"), context.get("cohorts") or {})

    # An idea waiting in the backlog.
    if not Experiment.objects.filter(team=team, title="Plain-language APR explainer").exists():
        services.experiment_create(
            team=team,
            actor=editor,
            title="Plain-language APR explainer",
            change="Explain APR and fees in plain words next to the rate",
            primary_metric=metrics["advisor-calls"],
            expected_direction="decrease",
            expected_effect=15,
            rationale="most advisor calls ask what the APR includes",
            journey_map=maps.get("bank"),
            touchpoint=_touchpoint(maps.get("bank"), "Plain-language rates explainer"),
            tags=["clarity"],
        )
    return {"experiments": experiments, "metrics": metrics}


RETURNS_TITLE = "Free returns explained on the returns page"


def _returns_page_experiment(team, owner, shop, cohorts: dict):
    """A before/after experiment on the returns page whose metric computes its observations from events.

    The metric is the share of new profiles who order within 7 days of first being seen; its
    population is the shop's customers (the demo team's events hold the bank's and the travel
    company's too). The change went live with the map's version 2, ``CHANGE_DAYS_AGO`` days ago.
    """
    from customers.demo import CHANGE_DAYS_AGO, DAYS

    experiment = Experiment.objects.filter(team=team, title=RETURNS_TITLE).first()
    if experiment is not None or shop is None:
        return experiment
    returns = _touchpoint(shop, "Returns policy page")
    metric = Metric.objects.filter(team=team, key="order-7d").first() or services.metric_create(
        team=team,
        actor=owner,
        name="Order within 7 days of the first visit",
        key="order-7d",
        behaviour=Metric.Behaviour.ACTIVATION,
        event_name="Order Completed",
        window_days=7,
        better="higher",
        touchpoint=_touchpoint(shop, "Checkout"),
    )
    today = timezone.localdate()
    changed = today - dt.timedelta(days=CHANGE_DAYS_AGO)
    experiment = services.experiment_create(
        team=team,
        actor=owner,
        title=RETURNS_TITLE,
        change="Explain free 30-day returns and home pickup in plain words at the top of the returns page",
        primary_metric=metric,
        expected_direction="increase",
        expected_effect=5,
        expected_effect_unit="absolute",
        rationale="shoppers who leave at Decision read the returns policy first, and it reads like a contract",
        design="before_after",
        population=cohorts.get("shop_customers"),
        baseline_start=today - dt.timedelta(days=DAYS - 1),
        baseline_end=changed - dt.timedelta(days=1),
        test_start=changed,
        test_end=today,
        journey_map=shop,
        touchpoint=returns,
        tags=["returns", "decision"],
    )
    services.experiment_transition(experiment=experiment, actor=owner, to=Experiment.Status.PLANNED)
    services.experiment_transition(experiment=experiment, actor=owner, to=Experiment.Status.RUNNING)
    # What the hourly task would have stored over the 90 days: every closed day, once.
    services.metric_compute_from_events(metric=metric, actor=None, days_back=DAYS)
    return experiment


# The Traditional Chinese team: key, name, kind, unit, better, map key, touchpoint name.
ZH_HANT_METRICS = [
    ("cart-to-checkout", "購物車到結帳轉換率", "proportion", "%", "higher", "funnel", "購物車與運送方式"),
    ("order-value", "平均客單價", "mean", "NT$", "higher", "funnel", "結帳與付款（LINE Pay／信用卡）"),
    ("repeat-60d", "60 天回購率", "proportion", "%", "higher", "funnel", "LINE 回購提醒與點數到期通知"),
    ("line-blocks", "LINE 官方帳號封鎖人數", "count", "人", "lower", "funnel", "LINE 回購提醒與點數到期通知"),
    ("quote-to-order", "詢價到成交率", "proportion", "%", "higher", "b2b", "報價單 Email"),
]


def _count_rows(metric, rng, weeks, start, levels, n_per_week):
    """Weekly counts per segment around ``levels`` (for example blocks out of ``n_per_week`` people reached)."""
    rows = []
    for week in range(weeks):
        period_start = start + dt.timedelta(days=7 * week)
        for segment, level in levels.items():
            rows.append(
                {
                    "metric": metric,
                    "period_start": period_start,
                    "period_end": period_start + dt.timedelta(days=6),
                    "segment": segment,
                    "sample_size": n_per_week,
                    "value": max(0, round(level + rng.gauss(0, level / 8))),
                }
            )
    return rows


def seed_zh_hant(context: dict) -> dict:
    """The Traditional Chinese team's metrics and experiments, found by title and key: made once."""
    team = context["team"]
    users = context["users"]
    maps = context.get("maps") or {}
    owner, editor = users.get("demo"), users.get("editor") or users.get("demo")
    metrics = _metrics(team, editor, maps, ZH_HANT_METRICS)
    rng = random.Random(20261203)
    experiments = {}

    # Supported: A/B over 4 weeks, shipped as the funnel map's version 2.
    title = "商品頁顯示預計到貨日與免運門檻"
    experiment = Experiment.objects.filter(team=team, title=title).first()
    if experiment is None:
        start = _monday(11)
        cart = _touchpoint(maps.get("funnel"), "購物車與運送方式")
        pain = PainPoint.objects.filter(touchpoint=cart, title__startswith="預計到貨日").first() if cart else None
        rows = _ab_rows(metrics["cart-to-checkout"], rng, 4, start, {"control": 0.38, "treatment": 0.45}, 600)
        rows += _mean_rows(metrics["order-value"], rng, 4, start, {"control": 1280.0, "treatment": 1295.0}, 250, 650.0)
        services.observations_bulk_upsert(rows=rows, actor=None, source="api")
        experiment = services.experiment_create(
            team=team,
            actor=owner,
            title=title,
            change="在商品頁、加入購物車之前，就顯示預計到貨日和超商取貨免運門檻",
            primary_metric=metrics["cart-to-checkout"],
            guardrail_metrics=[metrics["order-value"]],
            expected_direction="increase",
            expected_effect=10,
            expected_effect_unit="relative",
            rationale="購物車放棄原因調查中，最多人說「不知道什麼時候會到貨」和「運費要最後才知道」",
            design="ab",
            test_start=start,
            test_end=start + dt.timedelta(days=27),
            journey_map=maps.get("funnel"),
            pain_point=pain,
            touchpoint=cart if pain is None else None,
            tags=["結帳", "到貨時間", "運費"],
        )
        experiment = _run_and_conclude(
            experiment,
            owner,
            decision="ship",
            learning="結帳前先知道到貨日和免運門檻，漏斗中部最大的疑慮就消失了，客單價也沒有下降。"
            "已在地圖第 2 版全面上線；下一步：把「超商取貨免運」也寫進購物車提醒信。",
            map_version=_latest_version(maps.get("funnel")),
        )
    experiments["delivery"] = experiment

    # Running: A/B started three weeks ago, six weeks planned.
    title = "LINE 回購提醒依購買週期發送"
    experiment = Experiment.objects.filter(team=team, title=title).first()
    if experiment is None:
        start = _monday(3)
        rows = _ab_rows(metrics["repeat-60d"], rng, 3, start, {"control": 0.22, "treatment": 0.25}, 420)
        rows += _count_rows(metrics["line-blocks"], rng, 3, start, {"control": 38, "treatment": 21}, 420)
        services.observations_bulk_upsert(rows=rows, actor=None, source="api")
        experiment = services.experiment_create(
            team=team,
            actor=editor,
            title=title,
            change="咖啡豆的回購提醒不再每週固定推播，改在上次購買後第 25 天發送一則",
            primary_metric=metrics["repeat-60d"],
            guardrail_metrics=[metrics["line-blocks"]],
            expected_direction="increase",
            expected_effect=10,
            expected_effect_unit="relative",
            rationale="熟客說推播太頻繁，重要的訊息反而被忽略，甚至直接封鎖官方帳號",
            design="ab",
            test_start=start,
            test_end=start + dt.timedelta(days=41),
            journey_map=maps.get("funnel"),
            touchpoint=_touchpoint(maps.get("funnel"), "LINE 回購提醒與點數到期通知"),
            tags=["回購", "推播"],
        )
        services.experiment_transition(experiment=experiment, actor=editor, to=Experiment.Status.PLANNED)
        experiment = services.experiment_transition(experiment=experiment, actor=editor, to=Experiment.Status.RUNNING)
    experiments["line"] = experiment

    # An idea for the bulk orders.
    title = "報價單附上可直接轉寄主管的比價表"
    experiment = Experiment.objects.filter(team=team, title=title).first()
    if experiment is None:
        experiment = services.experiment_create(
            team=team,
            actor=owner,
            title=title,
            change="正式報價單附上一頁禮盒比較表（內容、單價、交期），讓窗口直接轉寄給主管核准",
            primary_metric=metrics["quote-to-order"],
            expected_direction="increase",
            expected_effect=15,
            expected_effect_unit="relative",
            rationale="福委窗口說，最花時間的是自己整理比價資料給主管",
            journey_map=maps.get("b2b"),
            touchpoint=_touchpoint(maps.get("b2b"), "報價單 Email"),
            tags=["b2b", "報價"],
        )
    experiments["quote"] = experiment
    return {"experiments": experiments, "metrics": metrics}
