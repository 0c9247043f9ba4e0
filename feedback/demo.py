"""Demo feedback: surveys on the demo maps' touchpoints and six months of answers.

- Shop: a checkout NPS whose score dips while delivery time and returns were unclear, and
  recovers once the product page shows the delivery date and the returns policy.
- Bank: a loan-application CES (people lost to unclear information) and its comments.
- Travel: a CSAT on the stories page, climbing after customer stories were added.
Texts in English, Chinese, Latvian and Bulgarian; some detractors have open follow-ups.
Idempotent: nothing is added when the surveys already exist.
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


def seed(context: dict) -> dict:
    team = context.get("team")
    users = context.get("users", {})
    maps = context.get("maps", {}) or {}
    user = users.get("demo")
    if team is None or user is None:
        return {}
    if Survey.objects.filter(team=team, name="Checkout NPS").exists():
        return {"surveys": {s.name: s for s in Survey.objects.filter(team=team)}}

    for name, keywords, color in THEMES:
        Theme.objects.get_or_create(team=team, name=name, defaults={"keywords": keywords, "color": color})

    shop_tp = _touchpoint(maps.get("shop"), "checkout", "delivery", "cart")
    bank_tp = _touchpoint(maps.get("bank"), "application", "form", "loan")
    travel_tp = _touchpoint(maps.get("travel"), "stories", "review", "booking")

    def make(name, kind, touchpoint, title, threshold, questions=None):
        survey = services.survey_create(
            team=team,
            user=user,
            name=name,
            kind=kind,
            touchpoint=touchpoint,
            title=title,
            allowed_origins=["https://shop.example.com", "http://localhost:8080"],
            followup_threshold=threshold,
            questions=questions,
            thank_you={"en": "Thank you!", "zh": "谢谢！", "lv": "Paldies!", "bg": "Благодарим!"},
        )
        return services.survey_set_status(survey=survey, user=user, status="active")

    shop = make(
        "Checkout NPS",
        "nps",
        shop_tp,
        {"en": "How was checkout?", "zh": "结账体验如何？", "lv": "Kā veicās ar pirkumu?", "bg": "Как мина поръчката?"},
        7,
        [
            {"key": "score", "kind": "nps", "text": NPS_TEXT, "required": True, "is_primary": True},
            {"key": "comment", "kind": "text", "text": WHY_TEXT},
        ],
    )
    bank = make(
        "Loan application effort",
        "ces",
        bank_tp,
        {"en": "Applying for a loan", "zh": "申请贷款", "lv": "Kredīta pieteikums", "bg": "Кандидатстване за кредит"},
        3,
    )
    travel = make(
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
    locales = ["en"] * 6 + ["zh", "lv", "bg"]
    from .models import Display

    for survey, metric, per_day in ((shop, "nps", 14), (bank, "ces", 4), (travel, "csat", 4)):
        tp = survey.touchpoint
        for day in range(DAYS):
            quality = _quality(day)
            if survey is travel:
                quality = 0.35 if day < 80 else 0.8  # the stories went live at day 80
            if survey is bank:
                quality = 0.3 if day < 120 else 0.7
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
                    answers["comment"] = rng.choice(COMMENTS[band])
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
                        channel=rng.choice(["widget", "widget", "link", "email"]),
                        locale=rng.choice(locales),
                        respondent_id=f"cust-{rng.randint(1, 5000)}",
                        finished=True,
                        created_at=created,
                        updated_at=created,
                    )
                )
                displays.append(Display(team=team, survey=survey, created_at=created))
            for _ in range(rng.randint(per_day // 2, per_day)):
                displays.append(Display(team=team, survey=survey, created_at=start + timedelta(days=day, hours=12)))
    Response.objects.bulk_create(rows, batch_size=1000)
    Display.objects.bulk_create(displays, batch_size=2000)

    # Themes by keywords, as the submission would have tagged them.
    stored = Response.objects.filter(team=team, submission_id__startswith="demo-").only("id", "answers")
    tags = []
    for response in stored.iterator(chunk_size=2000):
        tags += [
            ResponseTheme(response_id=response.pk, theme_id=theme_id)
            for theme_id in services.matching_themes(team.pk, response.answers)
        ]
    ResponseTheme.objects.bulk_create(tags, batch_size=2000, ignore_conflicts=True)

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
