"""Demo data for reviews: past weekly reviews of the demo maps with action items, one overdue.

Uses the maps the journeys demo made (``context["maps"]``: shop, bank, travel); with none, it adds
nothing. Safe to run again: a map that already has reviews is left alone.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from journeys.models import MapVersion

from . import services
from .models import ActionItem, Review

PLANS = {
    "shop": [
        (
            21,
            "weekly",
            "Cart abandonment at Decision is still the top worry; customers ask about delivery time and returns.",
            "Show the delivery date before checkout.\nSummarise the returns policy on the product page.",
            [
                ("Show the delivery date on the product page", "editor", 14, True),
                ("Draft a one-line returns summary", "demo", 7, True),
            ],
        ),
        (
            7,
            "weekly",
            "Delivery date test is running; returns summary shipped. NPS at Decision moved up but within the margin.",
            "Keep the delivery-date experiment running another week.",
            [
                ("Interview five customers who abandoned at checkout", "editor", 5, False),
                ("Check the returns page analytics", "demo", 10, False),
            ],
        ),
    ],
    "bank": [
        (
            10,
            "quarterly",
            "Quarterly look at the loan application: people drop at the unclear eligibility step.",
            "Rewrite the eligibility explanation in plain language.",
            [("Rewrite the eligibility step copy", "editor", 12, False)],
        ),
    ],
    "travel": [
        (
            5,
            "weekly",
            "Customer stories on the destination pages went live; watching trust at Consideration.",
            "",
            [("Add three more customer stories", "demo", 9, False)],
        ),
    ],
}

# The Traditional Chinese team's maps (funnel, b2b): days ago, kind, notes, decisions,
# [(action item, owner, due in days, done)].
ZH_HANT_PLANS = {
    "funnel": [
        (
            49,
            "weekly",
            "漏斗中部的購物車流失最嚴重：結帳 NPS 的批評者多半提到到貨時間和運費。",
            "商品頁先顯示預計到貨日與免運門檻，以 A/B 測試驗證。\nLINE 客服下班後加上自動回覆。",
            [
                ("商品頁加上預計到貨日與免運門檻", "editor", 7, True),
                ("設定 LINE 客服下班後的自動回覆", "demo", 5, True),
            ],
        ),
        (
            7,
            "weekly",
            "到貨日實驗結論為支持假設，已在第 2 版全面上線；結帳 NPS 回升，但購物車提醒信還沒更新。",
            "購物車提醒信開頭寫上到貨日與免運門檻。\n下週起檢視 LINE 推播頻率實驗的封鎖數。",
            [
                ("更新購物車提醒信的文案", "editor", 5, True),
                ("訪談五位在運送方式頁面離開的新客", "editor", 10, False),
                ("整理結帳 NPS 批評者的跟進結果", "demo", 4, False),
            ],
        ),
    ],
    "b2b": [
        (
            20,
            "quarterly",
            "中秋檔期回顧：詢價卡在粉專私訊，報價平均要四個工作天，有兩家企業因此改訂其他廠商。",
            "官網上線大量訂購表單。\n報價承諾三個工作天內回覆。",
            [
                ("上線官網大量訂購表單", "editor", 14, True),
                ("準備年節禮盒型錄與階梯價格", "demo", 30, False),
            ],
        ),
    ],
}


def seed(context: dict) -> dict:
    return _seed(context, PLANS)


def seed_zh_hant(context: dict) -> dict:
    """The Traditional Chinese team's weekly reviews (``ZH_HANT_PLANS``), once per map."""
    return _seed(context, ZH_HANT_PLANS)


def _seed(context: dict, plans: dict) -> dict:
    maps = context.get("maps") or {}
    users = context.get("users") or {}
    if not maps or not users:
        return {}
    now = timezone.now()
    today = timezone.localdate()
    made = {}
    for key, plan in plans.items():
        journey_map = maps.get(key)
        if journey_map is None or Review.objects.filter(journey_map=journey_map).exists():
            continue
        # The demo maps have two versions; the past reviews saw the first, so this week's agenda
        # shows what the second changed.
        first_version = MapVersion.objects.filter(journey_map=journey_map).order_by("number").first()
        for days_ago, kind, notes, decisions, items in plan:
            date = today - datetime.timedelta(days=days_ago)
            at = now - datetime.timedelta(days=days_ago)
            review = services.review_record(
                journey_map=journey_map,
                actor=None,
                date=date,
                kind=kind,
                facilitator=users.get("demo"),
                attendees=[u for u in (users.get("demo"), users.get("editor"), users.get("viewer")) if u],
                notes=notes,
                decisions=decisions,
                map_version=first_version,
                action_items=[
                    services.ActionItemInput(
                        title=title, owner=users.get(owner), due_date=date + datetime.timedelta(days=due_in)
                    )
                    for title, owner, due_in, _ in items
                ],
                now=at,
            )
            for item, (_, _, _, done) in zip(review.action_items.order_by("position"), items, strict=True):
                if done:
                    ActionItem.objects.filter(pk=item.pk).update(done=True, done_at=at + datetime.timedelta(days=5))
            made.setdefault(key, []).append(review)
    return {"reviews": made}
