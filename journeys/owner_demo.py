"""Demo owners, SLAs, hand-offs (one breached case) and the seed cases' playbooks.

Called by ``journeys.demo.seed`` with the demo maps (``context["maps"]``: shop, bank, travel) and
people (``context["users"]``: demo, editor, viewer). Idempotent: a map that already has owners is
left as it is, playbooks and hand-offs are looked up before they are made.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from . import owner_services as services
from .models import Handoff, HandoffCase, JourneyMap, Ownership, Playbook, Touchpoint

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


def _touchpoints(journey_map: JourneyMap) -> dict[str, Touchpoint]:
    return {
        t.name: t
        for t in Touchpoint.objects.filter(stage__journey_map=journey_map).select_related("stage__journey_map")
    }


def seed(context: dict) -> dict:
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
            for name, username, hours, business in OWNERS.get(key, []):
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
        for from_name, to_name, hours, business, notes in HANDOFFS.get(key, []):
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
            # Recorded as the SLA sweep would have, without sending the demo's emails.
            HandoffCase.objects.filter(pk=late.pk).update(breached_at=late.due_at + timedelta(minutes=5))
        for name, tp_name, trigger, steps in PLAYBOOKS.get(key, []):
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
