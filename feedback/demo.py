"""Demo feedback: surveys on the demo maps' touchpoints and six months of answers.

- Shop: a checkout NPS whose score dips while delivery time and returns were unclear, and
  recovers once the product page shows the delivery date and the returns policy.
- Bank: a loan-application CES (people lost to unclear information) and its comments.
- Travel: a CSAT on the stories page, climbing after customer stories were added.
- Stage NPS surveys (``STAGE_SURVEYS``) on more touchpoints of each map, a few hundred answers
  each, so the map's Scores page (week × stage) has figures in several stage columns: the shop's
  Decision stage is its worst and dips and recovers with the checkout; the bank's stages improve
  once the rates explainer and the document checklist arrive; the travel company's decision and
  booking improve after the customer stories.
Texts in English, Chinese, Latvian and Bulgarian; some detractors have open follow-ups.
Idempotent: nothing is added when the surveys already exist (by name; a demo seeded before the
stage surveys existed gets only those).
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from . import services
from .models import FollowUp, Response, ResponseTheme, Survey, Theme

DAYS = 182

NPS_TEXT = {
    "en": "How likely are you to recommend us to a friend?",
    "zh": "您向朋友推荐我们的可能性有多大？",
    "lv": "Cik ticams, ka jūs mūs ieteiktu draugam?",
    "bg": "Колко вероятно е да ни препоръчате на приятел?",
}
WHY_TEXT = {
    "en": "What is the main reason for your score?",
    "zh": "您打这个分数的主要原因是什么？",
    "lv": "Kāds ir galvenais jūsu vērtējuma iemesls?",
    "bg": "Коя е основната причина за оценката ви?",
}
COMMENTS = {
    "low": [
        "Delivery time was not shown until the last step",
        "Could not find the returns policy before paying",
        "送货时间太长了",
        "Piegādes laiks nebija skaidrs",
        "Не разбрах условията за връщане",
        "The loan terms were unclear, I gave up",
    ],
    "mid": ["Fine, but shipping is slow", "OK overall", "Nothing special", "Returns could be easier"],
    "high": ["Fast delivery and clear returns", "Loved the customer stories", "Very easy", "Ātri un ērti", "非常方便"],
}
THEMES = [
    ("Delivery time", "delivery, shipping, late, slow, 送货, piegād", "#2563eb"),
    ("Returns policy", "return, refund, 退货, връщане", "#db2777"),
    ("Unclear information", "unclear, confusing, could not find, terms, не разбрах", "#ea580c"),
    ("Trust and stories", "stories, trust, reviews", "#16a34a"),
]

# Open comments of the stage surveys, by map and band (NPS 0–6, 7–8, 9–10).
MAP_COMMENTS = {
    "shop": {
        "low": [
            "Delivery time was not shown until the last step",
            "Could not find the returns policy before paying",
            "Delivery cost appeared late, I left the cart",
            "送货时间太长了",
            "Piegādes laiks nebija skaidrs",
            "Не разбрах условията за връщане",
        ],
        "mid": ["Fine, but shipping is slow", "OK overall", "Returns could be easier", "Nothing special"],
        "high": [
            "Fast delivery and clear returns",
            "Very easy",
            "Delivery date shown up front",
            "Ātri un ērti",
            "非常方便",
        ],
    },
    "bank": {
        "low": [
            "The loan terms were unclear, I gave up",
            "Could not find which documents I need",
            "Rates and fees are confusing",
            "贷款条款不清楚",
            "Nesapratu, kādi dokumenti vajadzīgi",
            "Не разбрах какви документи трябват",
        ],
        "mid": ["Took longer than I hoped", "OK, the advisor helped", "Nothing special"],
        "high": ["The checklist made it easy", "Clear rates, quick answer", "Ļoti skaidri", "非常清楚"],
    },
    "travel": {
        "low": [
            "I was not sure I could trust you",
            "Could not compare the packages",
            "Hard to tell the packages apart",
            "Не знаех дали мога да ви се доверя",
        ],
        "mid": ["OK overall", "Payment was fine", "Nothing special"],
        "high": ["Loved the customer stories", "The reviews convinced me", "Brīnišķīgs ceļojums", "旅行非常愉快"],
    },
}
ORIGINS = {
    "shop": "https://shop.example.com",
    "bank": "https://bank.example.com",
    "travel": "https://travel.example.com",
}


def _step(before: float, after: float, day: int):
    """A quality that changes on ``day`` (a release)."""
    return lambda d: before if d < day else after


def _shop_decision(day: int) -> float:
    """The cart: worst of the shop's stages, deepest in the dip, recovering after the fix."""
    return max(0.0, _quality(day) - 0.3)


# (map, touchpoint names (the first one found), survey name, title, answers a day at most,
# channels, quality by day 0…1). NPS with a "why" comment; the shop's checkout NPS, the bank's
# CES and the travel CSAT are seeded above these.
STAGE_SURVEYS = [
    (
        "shop",
        ("Product page",),
        "Product page NPS",
        {
            "en": "Did you find what you needed?",
            "zh": "您找到需要的信息了吗？",
            "lv": "Vai atradāt vajadzīgo?",
            "bg": "Намерихте ли каквото търсехте?",
        },
        2,
        ("widget",),
        _step(0.55, 0.7, 96),  # the delivery date and returns reached the product page
    ),
    (
        "shop",
        ("Cart and delivery options",),
        "Cart NPS",
        {
            "en": "How was choosing delivery?",
            "zh": "选择配送方式顺利吗？",
            "lv": "Kā veicās ar piegādes izvēli?",
            "bg": "Как мина изборът на доставка?",
        },
        3,
        ("widget", "widget", "link"),
        _shop_decision,
    ),
    (
        "shop",
        ("Order tracking email",),
        "Delivery NPS",
        {
            "en": "How was your delivery?",
            "zh": "您的送货体验如何？",
            "lv": "Kā noritēja piegāde?",
            "bg": "Как мина доставката?",
        },
        2,
        ("email",),
        lambda day: min(0.9, _quality(day) + 0.15),
    ),
    (
        "bank",
        ("Plain-language rates explainer", "Rates and fees page"),
        "Rates page NPS",
        {
            "en": "Were our rates clear?",
            "zh": "我们的利率说明清楚吗？",
            "lv": "Vai likmes bija saprotamas?",
            "bg": "Ясни ли бяха лихвите?",
        },
        2,
        ("widget",),
        _step(0.35, 0.7, 120),  # the plain-language explainer
    ),
    (
        "bank",
        ("Call to the loan advisor",),
        "Loan advisor call NPS",
        {
            "en": "How was your call with the advisor?",
            "zh": "与顾问的通话如何？",
            "lv": "Kā noritēja saruna ar konsultantu?",
            "bg": "Как мина разговорът с консултанта?",
        },
        2,
        ("email", "link"),
        _step(0.15, 0.5, 120),  # callers were the confused ones, fewer after the checklist
    ),
    (
        "bank",
        ("Contract signing",),
        "Contract signing NPS",
        {
            "en": "How was signing your loan?",
            "zh": "签约过程如何？",
            "lv": "Kā noritēja līguma parakstīšana?",
            "bg": "Как мина подписването на договора?",
        },
        2,
        ("email",),
        _step(0.6, 0.7, 120),
    ),
    (
        "travel",
        ("Package comparison",),
        "Package comparison NPS",
        {
            "en": "Did the comparison help you choose?",
            "zh": "比较页面帮您做出选择了吗？",
            "lv": "Vai salīdzinājums palīdzēja izvēlēties?",
            "bg": "Помогна ли ви сравнението да изберете?",
        },
        2,
        ("widget",),
        _step(0.15, 0.6, 80),  # the customer stories went live at day 80
    ),
    (
        "travel",
        ("Booking and payment",),
        "Booking NPS",
        {
            "en": "How was booking?",
            "zh": "预订过程如何？",
            "lv": "Kā veicās ar rezervāciju?",
            "bg": "Как мина резервацията?",
        },
        2,
        ("widget", "email"),
        _step(0.5, 0.65, 80),
    ),
    (
        "travel",
        ("Share your trip",),
        "After-trip NPS",
        {
            "en": "How was your trip?",
            "zh": "您的旅行如何？",
            "lv": "Kā jums patika ceļojums?",
            "bg": "Как мина пътуването?",
        },
        2,
        ("email",),
        lambda day: 0.8,
    ),
]


def _touchpoint(journey_map, *names):
    if journey_map is None:
        return None
    from journeys.models import Touchpoint

    touchpoints = Touchpoint.objects.filter(stage__journey_map=journey_map).select_related("stage")
    for name in names:
        found = next((t for t in touchpoints if name.lower() in t.name.lower()), None)
        if found is not None:
            return found
    return touchpoints.order_by("stage__position", "position").first()


def _nps_score(rng: random.Random, quality: float) -> int:
    """Draw an NPS answer; ``quality`` 0…1 moves the mass from detractors to promoters."""
    roll = rng.random()
    if roll < 0.45 * (1 - quality) + 0.05:
        return rng.choice([0, 2, 3, 4, 5, 6, 6])
    if roll < 0.75 - 0.2 * quality:
        return rng.choice([7, 8])
    return rng.choice([9, 10, 10])


def _quality(day: int) -> float:
    """The shop's story: good, a dip around months 2–3, then recovery after the fix."""
    if 50 <= day <= 95:
        return 0.25
    if day > 95:
        return min(0.85, 0.35 + (day - 95) * 0.01)
    return 0.6


LOCALES = ["en"] * 6 + ["zh", "lv", "bg"]
NPS_QUESTIONS = [
    {"key": "score", "kind": "nps", "text": NPS_TEXT, "required": True, "is_primary": True},
    {"key": "comment", "kind": "text", "text": WHY_TEXT},
]
THANK_YOU = {"en": "Thank you!", "zh": "谢谢！", "lv": "Paldies!", "bg": "Благодарим!"}


def _make(team, user, name, kind, touchpoint, title, threshold, questions=None, origin="https://shop.example.com"):
    survey = services.survey_create(
        team=team,
        user=user,
        name=name,
        kind=kind,
        touchpoint=touchpoint,
        title=title,
        allowed_origins=[origin, "http://localhost:8080"],
        followup_threshold=threshold,
        questions=questions,
        thank_you=THANK_YOU,
    )
    return services.survey_set_status(survey=survey, user=user, status="active")


def _answers(team, survey, metric, per_day, quality_of, comments, channels, rng, start, rows, displays):
    """Append ``DAYS`` days of answers (and displays) of ``survey`` to ``rows`` and ``displays``."""
    from .models import Display

    tp = survey.touchpoint
    for day in range(DAYS):
        quality = quality_of(day)
        for i in range(rng.randint(per_day // 2, per_day)):
            created = start + timedelta(days=day, minutes=rng.randint(0, 1439))
            if metric == "nps":
                score = _nps_score(rng, quality)
                band = "low" if score <= 6 else "mid" if score <= 8 else "high"
            elif metric == "csat":
                score = rng.choice([4, 5, 5] if rng.random() < quality else [1, 2, 3])
                band = "high" if score >= 4 else "low"
            else:
                score = rng.choice([5, 6, 7] if rng.random() < quality else [1, 2, 3, 4])
                band = "high" if score >= 5 else "low"
            answers = {"score": score}
            if rng.random() < 0.45:
                answers["comment"] = rng.choice(comments[band])
            rows.append(
                Response(
                    team=team,
                    survey=survey,
                    touchpoint=tp,
                    stage_id=tp.stage_id if tp else None,
                    submission_id=f"demo-{survey.pk}-{day}-{i}",
                    score=score,
                    metric=metric,
                    answers=answers,
                    channel=rng.choice(channels),
                    locale=rng.choice(LOCALES),
                    respondent_id=f"cust-{rng.randint(1, 5000)}",
                    finished=True,
                    created_at=created,
                    updated_at=created,
                )
            )
            displays.append(Display(team=team, survey=survey, created_at=created))
        for _ in range(rng.randint(per_day // 2, per_day)):
            displays.append(Display(team=team, survey=survey, created_at=start + timedelta(days=day, hours=12)))


def _store(rows: list, displays: list, surveys: list) -> None:
    """Bulk-create the answers and displays, then tag themes by keywords, as the submission would have."""
    from .models import Display

    Response.objects.bulk_create(rows, batch_size=1000)
    Display.objects.bulk_create(displays, batch_size=2000)
    stored = Response.objects.filter(survey__in=surveys, submission_id__startswith="demo-").only(
        "id", "team_id", "answers"
    )
    tags = []
    for response in stored.iterator(chunk_size=2000):
        tags += [
            ResponseTheme(response_id=response.pk, theme_id=theme_id)
            for theme_id in services.matching_themes(response.team_id, response.answers)
        ]
    ResponseTheme.objects.bulk_create(tags, batch_size=2000, ignore_conflicts=True)


def _named_touchpoint(journey_map, names):
    """The map's touchpoint with the first of ``names`` found (exact name), or None."""
    if journey_map is None:
        return None
    from journeys.models import Touchpoint

    touchpoints = {t.name: t for t in Touchpoint.objects.filter(stage__journey_map=journey_map)}
    return next((touchpoints[name] for name in names if name in touchpoints), None)


def _seed_stage_surveys(team, user, maps: dict) -> list:
    """Create the missing ``STAGE_SURVEYS`` (by name) with six months of answers each."""
    existing = set(Survey.objects.filter(team=team).values_list("name", flat=True))
    rng = random.Random(20260602)  # its own stream: the older surveys' answers stay as they were
    start = timezone.now() - timedelta(days=DAYS)
    created, rows, displays = [], [], []
    for map_key, names, name, title, per_day, channels, quality_of in STAGE_SURVEYS:
        touchpoint = _named_touchpoint(maps.get(map_key), names)
        if name in existing or touchpoint is None:
            continue
        survey = _make(team, user, name, "nps", touchpoint, title, 7, NPS_QUESTIONS, ORIGINS[map_key])
        _answers(team, survey, "nps", per_day, quality_of, MAP_COMMENTS[map_key], channels, rng, start, rows, displays)
        created.append(survey)
    if created:
        _store(rows, displays, created)
    return created


def seed(context: dict) -> dict:
    team = context.get("team")
    users = context.get("users", {})
    maps = context.get("maps", {}) or {}
    user = users.get("demo")
    if team is None or user is None:
        return {}
    if Survey.objects.filter(team=team, name="Checkout NPS").exists():
        _seed_stage_surveys(team, user, maps)
        return {"surveys": {s.name: s for s in Survey.objects.filter(team=team)}}

    for name, keywords, color in THEMES:
        Theme.objects.get_or_create(team=team, name=name, defaults={"keywords": keywords, "color": color})

    shop_tp = _touchpoint(maps.get("shop"), "checkout", "delivery", "cart")
    bank_tp = _touchpoint(maps.get("bank"), "application", "form", "loan")
    travel_tp = _touchpoint(maps.get("travel"), "stories", "review", "booking")

    shop = _make(
        team,
        user,
        "Checkout NPS",
        "nps",
        shop_tp,
        {"en": "How was checkout?", "zh": "结账体验如何？", "lv": "Kā veicās ar pirkumu?", "bg": "Как мина поръчката?"},
        7,
        NPS_QUESTIONS,
    )
    bank = _make(
        team,
        user,
        "Loan application effort",
        "ces",
        bank_tp,
        {"en": "Applying for a loan", "zh": "申请贷款", "lv": "Kredīta pieteikums", "bg": "Кандидатстване за кредит"},
        3,
    )
    travel = _make(
        team,
        user,
        "Trip page satisfaction",
        "csat",
        travel_tp,
        {
            "en": "Did this page help you decide?",
            "zh": "这个页面对您有帮助吗？",
            "lv": "Vai lapa palīdzēja?",
            "bg": "Помогна ли ви страницата?",
        },
        3,
    )
    draft = services.survey_create(team=team, user=user, name="Onboarding day 7 (draft)", kind="nps")

    rng = random.Random(20260601)
    now = timezone.now()
    start = now - timedelta(days=DAYS)
    rows, displays = [], []
    channels = ["widget", "widget", "link", "email"]
    for survey, metric, per_day, quality_of in (
        (shop, "nps", 14, _quality),
        (bank, "ces", 4, _step(0.3, 0.7, 120)),
        (travel, "csat", 4, _step(0.35, 0.8, 80)),  # the stories went live at day 80
    ):
        _answers(team, survey, metric, per_day, quality_of, COMMENTS, channels, rng, start, rows, displays)
    _store(rows, displays, [shop, bank, travel])
    _seed_stage_surveys(team, user, maps)

    # Recent detractors at the checkout wait for their owner; older ones were closed.
    recent = Response.objects.filter(survey=shop, score__lt=7).order_by("-created_at")[:12]
    for index, response in enumerate(recent):
        followup = services.followup_open(response=response, survey=shop)
        if followup.owner_id is None:  # the demo map may not name an owner: give it to the demo admin
            FollowUp.objects.filter(pk=followup.pk).update(owner=user)
        if index >= 6:
            FollowUp.objects.filter(pk=followup.pk).update(
                status=FollowUp.Status.CLOSED,
                closed_at=now,
                acknowledged_at=now,
                notes="[demo] Called the customer and explained the delivery date.",
            )
    return {"surveys": {"shop": shop, "bank": bank, "travel": travel, "draft": draft}}
