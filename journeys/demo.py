"""Demo data for journeys: the three seed cases as maps, each with two published versions.

- Shop: carts abandoned at Decision because delivery time and the returns policy were unclear;
  v2 shows delivery dates and the returns policy on the product page.
- Bank: the loan application lost people to unclear information; v2 adds a plain-language rate
  explainer and a document checklist.
- Travel: customers did not trust the company; v2 adds customer stories to build trust.

Idempotent: a map that already exists (by title, in the demo team) is left as it is.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from . import services
from .models import JourneyMap, Stage
from .models.maps import DEFAULT_STAGES

# stage name -> [(touchpoint name, channel, emotion label, moment kind or "", metric, evidence, [pain points])]
# pain point: (title, severity, status)
SHOP_V1 = {
    "Awareness": [("Instagram ad for the sofa collection", "ad", "curious", "", "", "analytics", [])],
    "Consideration": [
        ("Product page", "page", "curious", "", "", "analytics", []),
        ("Size and material guide", "page", "confident", "", "", "interview", []),
    ],
    "Decision": [
        (
            "Cart and delivery options",
            "page",
            "anxious",
            "loss_risk",
            "Cart-to-checkout rate",
            "analytics",
            [("Delivery date only shown after payment", 5, "open"), ("Delivery cost appears late", 3, "open")],
        ),
        (
            "Returns policy page",
            "page",
            "confused",
            "",
            "",
            "survey_theme",
            [("Returns policy buried in the footer", 4, "open")],
        ),
    ],
    "Purchase": [("Checkout", "page", "neutral", "first_value", "Checkout conversion", "analytics", [])],
    "Retention": [
        ("Order tracking email", "email", "confident", "", "", "support_records", []),
        ("Second order voucher", "email", "curious", "first_repeat", "Repeat-purchase rate", "analytics", []),
    ],
    "Advocacy": [("Review request", "email", "neutral", "", "", "assumption", [])],
}

BANK_V1 = {
    "Awareness": [("Branch poster on home loans", "store", "curious", "", "", "assumption", [])],
    "Consideration": [
        ("Loan calculator", "page", "curious", "", "", "analytics", []),
        ("Rates and fees page", "page", "confused", "", "", "interview", [("APR and fees not explained", 4, "open")]),
    ],
    "Decision": [
        (
            "Online loan application",
            "page",
            "frustrated",
            "loss_risk",
            "Application completion rate",
            "analytics",
            [("Unclear which documents are needed", 5, "open"), ("Jargon in the eligibility step", 4, "open")],
        ),
        ("Call to the loan advisor", "phone", "anxious", "", "", "support_records", []),
    ],
    "Purchase": [("Contract signing", "store", "confident", "first_value", "Time to decision", "analytics", [])],
    "Retention": [("Monthly statement", "email", "neutral", "", "", "assumption", [])],
    "Advocacy": [("Refer-a-friend offer", "email", "neutral", "first_referral", "", "assumption", [])],
}

TRAVEL_V1 = {
    "Awareness": [("Travel blog article", "social", "curious", "", "", "analytics", [])],
    "Consideration": [
        ("Destination page", "page", "curious", "", "", "analytics", []),
        (
            "Reviews on third-party sites",
            "social",
            "anxious",
            "",
            "",
            "interview",
            [("No proof the company is trustworthy", 4, "open")],
        ),
    ],
    "Decision": [
        ("Package comparison", "page", "confused", "loss_risk", "Quote-to-booking rate", "analytics", []),
    ],
    "Purchase": [("Booking and payment", "page", "neutral", "first_value", "Booking conversion", "analytics", [])],
    "Retention": [("Pre-trip checklist email", "email", "confident", "", "", "support_records", [])],
    "Advocacy": [("Share your trip", "social", "delighted", "first_referral", "Referral rate", "assumption", [])],
}


def _build(journey_map: JourneyMap, layout: dict, user) -> None:
    stages = {s.name: s for s in Stage.objects.filter(journey_map=journey_map)}
    today = timezone.localdate()
    for stage_name, touchpoints in layout.items():
        for name, channel, emotion, moment, metric, evidence, pains in touchpoints:
            # Older evidence for assumptions, recent for measured facts: health has something to say.
            verified = None if evidence == "assumption" else today - datetime.timedelta(days=20 if metric else 120)
            tp = services.touchpoint_create(
                stage=stages[stage_name],
                user=user,
                revision=None,
                name=name,
                channel=channel,
                emotion_label=emotion,
                is_moment=bool(moment),
                moment_kind=moment,
                metric_name=metric,
                evidence_source=evidence,
                evidence_verified_at=verified,
            )
            for title, severity, status in pains:
                services.pain_point_create(
                    touchpoint=tp,
                    user=user,
                    revision=None,
                    title=title,
                    severity=severity,
                    status=status,
                    evidence_source=evidence,
                    evidence_verified_at=verified,
                )


def _touchpoint(journey_map, name):
    return journey_map.stages.get(touchpoints__name=name).touchpoints.get(name=name)


def _shop_v2(journey_map, user) -> None:
    cart = _touchpoint(journey_map, "Cart and delivery options")
    services.touchpoint_update(touchpoint=cart, user=user, revision=None, emotion_label="confident")
    for pain in cart.pain_points.filter(title__startswith="Delivery date"):
        services.pain_point_update(pain_point=pain, user=user, revision=None, status="fixed")
    decision = journey_map.stages.get(name="Decision")
    services.touchpoint_create(
        stage=decision,
        user=user,
        revision=None,
        position=0,
        name="Delivery date and free returns on the product page",
        channel="page",
        emotion_label="confident",
        evidence_source="analytics",
        evidence_verified_at=timezone.localdate(),
    )
    chat = journey_map.stages.get(name="Consideration")
    services.touchpoint_create(
        stage=chat, user=user, revision=None, name="Support chat about returns", channel="chat", emotion_label="anxious"
    )


def _bank_v2(journey_map, user) -> None:
    application = _touchpoint(journey_map, "Online loan application")
    services.touchpoint_update(
        touchpoint=application, user=user, revision=None, emotion_label="confused", description="Checklist added."
    )
    for pain in application.pain_points.filter(title__startswith="Unclear"):
        services.pain_point_update(pain_point=pain, user=user, revision=None, status="fixing")
    services.touchpoint_create(
        stage=journey_map.stages.get(name="Decision"),
        user=user,
        revision=None,
        position=0,
        name="Document checklist before applying",
        channel="page",
        emotion_label="confident",
        evidence_source="interview",
        evidence_verified_at=timezone.localdate(),
    )
    rates = _touchpoint(journey_map, "Rates and fees page")
    services.touchpoint_update(touchpoint=rates, user=user, revision=None, name="Plain-language rates explainer")


def _travel_v2(journey_map, user) -> None:
    services.touchpoint_create(
        stage=journey_map.stages.get(name="Consideration"),
        user=user,
        revision=None,
        position=1,
        name="Customer stories with photos",
        channel="page",
        emotion_label="confident",
        is_moment=True,
        moment_kind="other",
        metric_name="Story page to quote rate",
        evidence_source="analytics",
        evidence_verified_at=timezone.localdate(),
    )
    reviews = _touchpoint(journey_map, "Reviews on third-party sites")
    services.touchpoint_update(touchpoint=reviews, user=user, revision=None, emotion_label="curious")
    blog = _touchpoint(journey_map, "Travel blog article")
    services.touchpoint_move(touchpoint=blog, user=user, revision=None, stage=journey_map.stages.get(name="Advocacy"))


CASES = [
    # key, persona key, title, description, v1 layout, v2 change, v1 note, v2 note
    (
        "shop",
        "shopper",
        "Online furniture order",
        "Carts were abandoned at the decision stage: shoppers worried about delivery time and returns.",
        SHOP_V1,
        _shop_v2,
        "Baseline from the cart-abandonment study",
        "Delivery date and free returns shown on the product page",
    ),
    (
        "bank",
        "borrower",
        "Home loan application",
        "The online application lost people to unclear information about documents and rates.",
        BANK_V1,
        _bank_v2,
        "Baseline from interviews with applicants who dropped out",
        "Document checklist and plain-language rates",
    ),
    (
        "travel",
        "traveller",
        "First package holiday booking",
        "New customers did not trust a company they did not know; customer stories were added to build trust.",
        TRAVEL_V1,
        _travel_v2,
        "Baseline before the trust work",
        "Customer stories added to the consideration stage",
    ),
]


def seed(context: dict) -> dict:
    team = context["team"]
    user = context["users"]["editor"]
    personas = context.get("personas") or {}
    scenarios = context.get("scenarios") or {}
    maps = {}
    for key, persona_key, title, description, layout, change, note1, note2 in CASES:
        existing = JourneyMap.objects.filter(team=team, title=title).first()
        if existing is not None:
            maps[key] = existing
            continue
        persona = personas.get(persona_key)
        scenario = scenarios.get(persona_key)
        if scenario is not None and persona is not None and scenario.persona_id != persona.pk:
            scenario = None
        # The English demo's steps look stages up by their English names, whatever language is active.
        journey_map = services.map_create(
            team=team,
            user=user,
            title=title,
            description=description,
            persona=persona,
            scenario=scenario,
            stages=list(DEFAULT_STAGES),
        )
        _build(journey_map, layout, user)
        services.map_publish(journey_map=journey_map, user=user, note=note1)
        change(journey_map, user)
        services.map_publish(journey_map=journey_map, user=user, note=note2)
        maps[key] = journey_map
    # Owners, SLAs, hand-offs and playbooks on these maps (issue 5).
    from .owner_demo import seed as seed_owners

    return {"maps": maps, **seed_owners({**context, "maps": maps})}
