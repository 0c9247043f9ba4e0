"""Demo owners, SLAs, hand-offs (one breached case) and the seed cases' playbooks.

``seed`` runs after ``journeys.demo.seed`` with the demo maps it made (``context["maps"]``: shop,
bank, travel) and people (``context["users"]``: demo, editor, viewer). Idempotent: a map that
already has owners is left as it is, playbooks and hand-offs are looked up before they are made.
``seed_zh_hant`` does the same with the ``ZH_HANT_*`` tables for the Traditional Chinese team's maps.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from journeys.models import JourneyMap, Touchpoint

from . import services
from .models import Handoff, HandoffCase, Ownership, Playbook

# map key -> [(touchpoint name, accountable username, SLA hours or None, business hours)]
OWNERS = {
    "shop": [
        ("Product page", "editor", None, False),
        ("Cart and delivery options", "demo", 24, False),
        ("Returns policy page", "editor", 48, True),
        ("Checkout", "demo", 4, False),
        ("Order tracking email", "editor", 24, False),
        ("Second order voucher", "editor", 72, True),
    ],
    "bank": [
        ("Loan calculator", "editor", None, False),
        ("Rates and fees page", "editor", 48, True),
        ("Call to the loan advisor", "demo", 8, True),
        ("Contract signing", "demo", 24, True),
    ],
    "travel": [
        ("Destination page", "editor", None, False),
        ("Package comparison", "demo", 24, False),
        ("Booking and payment", "demo", 2, False),
        ("Pre-trip checklist email", "editor", 48, False),
    ],
}

# map key -> [(from touchpoint, to touchpoint, hours, business hours, notes)]
HANDOFFS = {
    "shop": [
        ("Checkout", "Order tracking email", 24, False, "Warehouse confirms the delivery date to the customer."),
    ],
    "bank": [
        (
            "Rates and fees page",
            "Call to the loan advisor",
            8,
            True,
            "A visitor asks for a callback: the advisor calls back within a working day.",
        ),
    ],
}

PLAYBOOKS = {
    "shop": [
        (
            "First order late",
            "Order tracking email",
            "The courier misses the promised delivery date of a customer's first order.",
            "1. **Within 2 h**: email the customer the new date and the reason, in plain words.\n"
            "2. Offer free return shipping on this order (the returns worry is why carts were abandoned).\n"
            "3. Add a 10 % voucher for the second order.\n"
            "4. Log the case on the *Order tracking* touchpoint so the weekly review sees it.\n",
        ),
        (
            "Failed trial at step 2",
            "Cart and delivery options",
            "A first-time buyer stops at step 2 of checkout (delivery options) and leaves the cart.",
            "1. After 1 h, send the cart reminder with the **delivery date** and the **returns policy** up front.\n"
            "2. After 24 h, offer a chat with a sofa advisor.\n"
            "3. Tag the reason if they answer: delivery time, returns, price.\n",
        ),
    ],
    "bank": [
        (
            "Renewal questions",
            None,
            "A customer asks what happens when their fixed rate ends.",
            "1. Answer within one working day with the current rates, in plain language.\n"
            "2. Show the total cost over the next period, not only the APR.\n"
            "3. Offer a call with the loan advisor.\n",
        ),
        (
            "Onboarding: day 7",
            "Contract signing",
            "Seven days after the contract is signed.",
            "- Check the first payment date is understood.\n- Link the plain-language rates explainer.\n",
        ),
        (
            "Onboarding: day 30",
            "Contract signing",
            "Thirty days after the contract is signed.",
            "- Ask the CSAT question about the application.\n- Remind them of the online statement.\n",
        ),
        (
            "Onboarding: day 90",
            "Contract signing",
            "Ninety days after the contract is signed.",
            "- NPS survey.\n- Offer the refer-a-friend programme to promoters.\n",
        ),
    ],
}

# The Traditional Chinese team's maps (journeys.demo.ZH_HANT_CASES: funnel, b2b). Business-hour
# SLAs count the team's working hours in Asia/Taipei.
ZH_HANT_OWNERS = {
    "funnel": [
        ("商品頁", "editor", None, False),
        ("購物車與運送方式", "demo", 24, False),
        ("LINE 客服詢問到貨時間", "editor", 2, True),
        ("結帳與付款（LINE Pay／信用卡）", "demo", 4, False),
        ("出貨通知 Email", "editor", 24, True),
        ("LINE 回購提醒與點數到期通知", "editor", 72, True),
    ],
    "b2b": [
        ("Facebook 粉專私訊詢價", "editor", 4, True),
        ("報價單 Email", "demo", 24, True),
        ("業務電話確認規格", "demo", 8, True),
        ("分址配送進度通知", "editor", 24, True),
    ],
}

ZH_HANT_HANDOFFS = {
    "funnel": [
        (
            "結帳與付款（LINE Pay／信用卡）",
            "出貨通知 Email",
            24,
            True,
            "付款完成後，倉儲在一個工作天內出貨，並寄出附物流追蹤連結的出貨通知。",
        ),
    ],
    "b2b": [
        (
            "Facebook 粉專私訊詢價",
            "報價單 Email",
            24,
            True,
            "小編把詢價的數量、預算和交期整理好轉給業務，業務在一個工作天內回覆報價。",
        ),
    ],
}

ZH_HANT_PLAYBOOKS = {
    "funnel": [
        (
            "首購訂單延遲到貨",
            "出貨通知 Email",
            "首購訂單超過承諾的到貨日仍未送達。",
            "1. **兩小時內**傳 LINE 或 Email 告知顧客新的到貨日和原因，用白話說明。\n"
            "2. 這筆訂單的退換貨運費由我們負擔。\n"
            "3. 附上第二筆訂單可用的 100 元購物金。\n"
            "4. 在「出貨通知 Email」接觸點記下這個案例，讓每週檢視看得到。\n",
        ),
        (
            "購物車停在運送方式",
            "購物車與運送方式",
            "新客在結帳第二步（選擇運送方式）離開，購物車裡還有商品。",
            "1. 一小時後寄出購物車提醒，開頭就寫**預計到貨日**和**免運門檻**。\n"
            "2. 24 小時後提供 LINE 真人客服的連結。\n"
            "3. 顧客回覆時標記原因：到貨時間、運費、價格或其他。\n",
        ),
        (
            "新客第 7 天",
            "LINE 回購提醒與點數到期通知",
            "首購到貨後第 7 天。",
            "- 傳 LINE 訊息關心開箱狀況，附上商品保養方式。\n- 邀請填寫 CSAT 問卷。\n",
        ),
        (
            "新客第 30 天",
            "LINE 回購提醒與點數到期通知",
            "首購到貨後第 30 天。",
            "- 提醒會員點數餘額與到期日。\n- 推薦和首購商品搭配的新品。\n",
        ),
        (
            "新客第 90 天",
            "LINE 回購提醒與點數到期通知",
            "首購到貨後第 90 天。",
            "- 寄送 NPS 問卷。\n- 邀請推薦者加入好友推薦計畫。\n",
        ),
    ],
    "b2b": [
        (
            "報價超過三個工作天",
            "報價單 Email",
            "企業詢價後三個工作天還沒收到正式報價。",
            "1. 業務主管當天打電話給窗口，說明延遲原因和報價時間。\n"
            "2. 先寄出含單價與交期的簡易報價，讓窗口可以先給主管看。\n"
            "3. 在「報價單 Email」接觸點記下延遲原因。\n",
        ),
        (
            "年節禮盒續訂詢問",
            None,
            "去年訂過的企業詢問今年的年節禮盒。",
            "1. 一個工作天內寄出去年的訂單明細和今年的型錄。\n"
            "2. 沿用去年的發票抬頭、統編和配送地址，請窗口確認即可。\n"
            "3. 數量增加時，主動提供階梯價格。\n",
        ),
    ],
}


def _touchpoints(journey_map: JourneyMap) -> dict[str, Touchpoint]:
    return {
        t.name: t
        for t in Touchpoint.objects.filter(stage__journey_map=journey_map).select_related("stage__journey_map")
    }


def seed(context: dict) -> dict:
    """Give the English demo maps their owners, SLAs, hand-offs and playbooks."""
    return _seed(context, owners=OWNERS, handoffs=HANDOFFS, playbooks=PLAYBOOKS)


def seed_zh_hant(context: dict) -> dict:
    """Give the Traditional Chinese team's maps their owners, SLAs, hand-offs and playbooks."""
    return _seed(context, owners=ZH_HANT_OWNERS, handoffs=ZH_HANT_HANDOFFS, playbooks=ZH_HANT_PLAYBOOKS)


def _seed(context: dict, *, owners: dict, handoffs: dict, playbooks: dict) -> dict:
    """Give ``context["maps"]`` the owners, SLAs, hand-offs and playbooks of the given tables."""
    maps: dict = context.get("maps") or {}
    users: dict = context.get("users") or {}
    if not maps or "demo" not in users:
        return {}
    actor = users["demo"]
    now = timezone.now()
    for key, journey_map in maps.items():
        if journey_map is None:
            continue
        touchpoints = _touchpoints(journey_map)
        if not Ownership.objects.filter(journey_map=journey_map).exists():
            for name, username, hours, business in owners.get(key, []):
                tp, user = touchpoints.get(name), users.get(username)
                if tp is None or user is None:
                    continue
                services.ownership_assign(actor=actor, touchpoint=tp, user=user)
                if hours:
                    services.sla_set(
                        actor=actor, touchpoint=tp, response_target=timedelta(hours=hours), business_hours=business
                    )
            if "viewer" in users and touchpoints:
                first = next(iter(touchpoints.values()))
                services.ownership_assign(actor=actor, touchpoint=first, user=users["viewer"], role="consulted")
        for from_name, to_name, hours, business, notes in handoffs.get(key, []):
            source, target = touchpoints.get(from_name), touchpoints.get(to_name)
            if source is None or target is None:
                continue
            if Handoff.objects.filter(from_touchpoint=source, to_touchpoint=target).exists():
                continue
            handoff = services.handoff_create(
                actor=actor,
                from_touchpoint=source,
                to_touchpoint=target,
                response_target=timedelta(hours=hours),
                business_hours=business,
                notes=notes,
            )
            services.handoff_case_open(actor=actor, handoff=handoff, reference=f"{key.upper()}-1001")
            late = services.handoff_case_open(
                actor=actor, handoff=handoff, reference=f"{key.upper()}-0999", started_at=now - timedelta(days=4)
            )
            # Recorded as the SLA sweep would have, without sending the demo's emails: breached
            # then, and escalated at seed time once its escalation is due, so the first sweep after
            # a fresh seed has nothing of the backfilled history to mail.
            breached_at = late.due_at + timedelta(minutes=5)
            escalated_at = now if breached_at + handoff.escalation_delay <= now else None
            HandoffCase.objects.filter(pk=late.pk).update(breached_at=breached_at, escalated_at=escalated_at)
        for name, tp_name, trigger, steps in playbooks.get(key, []):
            if Playbook.objects.filter(journey_map=journey_map, name=name).exists():
                continue
            services.playbook_create(
                actor=actor,
                journey_map=journey_map,
                name=name,
                trigger=trigger,
                steps=steps,
                touchpoint=touchpoints.get(tp_name) if tp_name else None,
                owner=users.get("editor"),
            )
    return {}
