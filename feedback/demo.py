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


def _make(
    team,
    user,
    name,
    kind,
    touchpoint,
    title,
    threshold,
    questions=None,
    origin="https://shop.example.com",
    thank_you=THANK_YOU,
    **fields,
):
    survey = services.survey_create(
        team=team,
        actor=user,
        name=name,
        kind=kind,
        touchpoint=touchpoint,
        title=title,
        allowed_origins=[origin, "http://localhost:8080"],
        followup_threshold=threshold,
        questions=questions,
        thank_you=thank_you,
        **fields,
    )
    return services.survey_set_status(survey=survey, actor=user, status="active")


def _answers(
    team,
    survey,
    metric,
    per_day,
    quality_of,
    comments,
    channels,
    rng,
    start,
    rows,
    displays,
    *,
    days=DAYS,
    locales=LOCALES,
):
    """Append ``days`` days of answers (and displays) of ``survey`` to ``rows`` and ``displays``."""
    from .models import Display

    tp = survey.touchpoint
    for day in range(days):
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
    draft = services.survey_create(team=team, actor=user, name="Onboarding day 7 (draft)", kind="nps")

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
    _history_notified(team, now)
    return {"surveys": {"shop": shop, "bank": bank, "travel": travel, "draft": draft}}


def _history_notified(team, now) -> None:
    """Record the backfilled follow-ups already past due as the SLA sweep would have, at seed time.

    They are history: the demo shows them breached, and the first sweep after a fresh seed has
    none of them to mail.
    """
    open_followups = FollowUp.objects.filter(team=team).exclude(status=FollowUp.Status.CLOSED)
    open_followups.filter(breached_at__isnull=True, due_at__lte=now).update(breached_at=now)
    open_followups.filter(breached_at__isnull=False, escalated_at__isnull=True, escalate_at__lte=now).update(
        escalated_at=now
    )


# The Traditional Chinese team (晨光選物): ninety days of answers, written the way its customers
# in Taiwan write. The checkout NPS dips while the delivery date and the free-shipping threshold
# were unclear and recovers after the product page shows them (the funnel map's version 2,
# ``ZH_HANT_RELEASE_DAY`` days into the period); the gift boxes' B2B NPS has few answers, as B2B
# surveys do, so its figures show as thin.
ZH_HANT_DAYS = 90
ZH_HANT_RELEASE_DAY = 45
ZH_HANT = "zh-Hant"  # the BCP 47 tag browsers send; "zh-TW" and "zh-HK" fall back to it as the default
ZH_HANT_LOCALES = [ZH_HANT] * 19 + ["en"]
ZH_HANT_ORIGIN = "https://shop.morninglight.example.tw"
ZH_HANT_THANK_YOU = {ZH_HANT: "謝謝您的回饋！", "en": "Thank you!"}
ZH_HANT_THEMES = [
    ("到貨時間", "到貨, 出貨, 寄送, 物流, 等了", "#2563eb"),
    ("運費與免運門檻", "運費, 免運, 門檻", "#db2777"),
    ("客服回覆", "客服, 回覆, 私訊, 機器人", "#ea580c"),
    ("包裝與品質", "包裝, 品質, 顏色, 小卡, 壓壞", "#16a34a"),
    ("報價與發票", "報價, 發票, 統編", "#7c3aed"),
]


def _zh_questions(score_kind: str, score_text: str, comment_text: str) -> list[dict]:
    return [
        {"key": "score", "kind": score_kind, "text": {ZH_HANT: score_text}, "required": True, "is_primary": True},
        {"key": "comment", "kind": "text", "text": {ZH_HANT: comment_text}},
    ]


ZH_HANT_NPS_QUESTIONS = [
    {
        "key": "score",
        "kind": "nps",
        "text": {
            ZH_HANT: "您有多大的可能會向親友推薦晨光選物？",
            "en": "How likely are you to recommend Morning Light to a friend?",
        },
        "required": True,
        "is_primary": True,
    },
    {
        "key": "comment",
        "kind": "text",
        "text": {ZH_HANT: "請告訴我們給這個分數的主要原因。", "en": "What is the main reason for your score?"},
    },
]


def _zh_checkout(day: int) -> float:
    """The checkout: unclear delivery dates until the release, then a recovery over two weeks."""
    if day < ZH_HANT_RELEASE_DAY:
        return 0.3
    return min(0.75, 0.4 + (day - ZH_HANT_RELEASE_DAY) * 0.025)


# key, map key, touchpoint name, survey name, kind, title, questions, follow-up threshold,
# answers a day at most, channels, quality by day 0…1, comments by band (NPS 0–6, 7–8, 9–10;
# CSAT 1–3 low, 4–5 high).
ZH_HANT_SURVEYS = [
    (
        "checkout",
        "funnel",
        "結帳與付款（LINE Pay／信用卡）",
        "結帳 NPS",
        "nps",
        {ZH_HANT: "結帳還順利嗎？", "en": "How was checkout?"},
        ZH_HANT_NPS_QUESTIONS,
        7,
        10,
        ("widget", "widget", "link", "email"),
        _zh_checkout,
        {
            "low": [
                "結帳到最後一步才知道要等五天，太慢了",
                "運費規則看不懂，到底滿多少才免運？",
                "到貨日寫得不清楚，不敢下單",
                "超商取貨還要另外付運費，有點傻眼",
                "LINE Pay 付款失敗兩次，最後放棄了",
                "付款完沒有收到確認信，不知道訂單有沒有成立",
            ],
            "mid": [
                "還可以，但運費有點貴",
                "流程普通，沒什麼特別",
                "希望可以指定到貨日",
                "整體 OK，商品頁資訊再多一點會更好",
            ],
            "high": [
                "結帳很快，LINE Pay 一下就好",
                "商品頁就寫了隔天到貨，很放心",
                "免運門檻寫得很清楚，湊單很方便",
                "包裝很用心，會再回購",
                "客服回覆很快，推薦給朋友了",
            ],
        },
    ),
    (
        "product",
        "funnel",
        "商品頁",
        "商品頁 NPS",
        "nps",
        {ZH_HANT: "有找到您需要的資訊嗎？", "en": "Did you find what you needed?"},
        ZH_HANT_NPS_QUESTIONS,
        7,
        3,
        ("widget",),
        _step(0.45, 0.7, ZH_HANT_RELEASE_DAY),
        {
            "low": ["實拍照太少，看不出實際大小", "找不到材質和清洗方式", "不知道什麼時候會到貨", "顏色和照片差很多"],
            "mid": ["資訊還算完整", "希望多一點實拍照", "尺寸說明可以再清楚一點"],
            "high": ["商品說明很詳細", "有寫預計到貨日，很貼心", "尺寸表很清楚", "看得出來很用心在選品"],
        },
    ),
    (
        "support",
        "funnel",
        "LINE 客服詢問到貨時間",
        "LINE 客服 CSAT",
        "csat",
        {ZH_HANT: "這次的客服回覆有幫上忙嗎？", "en": "Did our reply help?"},
        _zh_questions("rating", "您對這次的客服回覆滿意嗎？", "有什麼地方我們可以做得更好？"),
        3,
        3,
        ("link",),
        _step(0.5, 0.75, ZH_HANT_RELEASE_DAY),
        {
            "low": ["晚上問問題，隔天中午才回覆", "機器人回覆答非所問", "問了三次到貨時間還是沒有答案"],
            "high": ["客服很親切，馬上幫我查到出貨進度", "回覆很快，問題一次解決", "自動回覆就能查訂單，很方便"],
        },
    ),
    (
        "unboxing",
        "funnel",
        "開箱與手寫小卡",
        "開箱體驗 CSAT",
        "csat",
        {ZH_HANT: "開箱體驗如何？", "en": "How was unboxing?"},
        _zh_questions("rating", "您對這次收到的商品與包裝滿意嗎？", "想對我們說些什麼嗎？"),
        3,
        4,
        ("email",),
        lambda day: 0.85,
        {
            "low": [
                "杯子顏色和照片差很多",
                "包裝有點簡陋，不太適合送禮",
                "紙箱壓壞了，還好杯子沒事",
                "等了一個禮拜才到貨",
            ],
            "high": [
                "手寫小卡好暖心！",
                "包裝超美，直接拿去送人",
                "品質比想像中好",
                "咖啡豆很香，已經推薦給同事",
                "開箱很療癒",
            ],
        },
    ),
    (
        "b2b",
        "b2b",
        "節後滿意度問卷",
        "企業禮盒 NPS",
        "nps",
        {ZH_HANT: "今年的企業禮盒合作還滿意嗎？", "en": "How was ordering your gift boxes?"},
        ZH_HANT_NPS_QUESTIONS,
        7,
        1,
        ("email",),
        lambda day: 0.55,
        {
            "low": ["報價等了快一個禮拜", "分址配送的進度要一直打電話問", "發票統編打錯，還要重開"],
            "mid": ["禮盒不錯，但報價流程可以再快一點", "價格還可以接受"],
            "high": ["同事都很喜歡今年的禮盒", "業務很專業，交期都有守住", "大量訂購表單很方便，隔天就收到報價"],
        },
    ),
]

# (status, note): the checkout's recent detractors, newest first; the rest of the twelve are closed.
ZH_HANT_FOLLOWUPS = [
    ("open", ""),
    ("open", ""),
    ("open", ""),
    ("acknowledged", "已傳 LINE 給顧客，約好明天下午回電。"),
    ("acknowledged", "顧客說是 LINE Pay 付款失敗，已請金流廠商查交易紀錄。"),
    ("closed", "已致電顧客，說明新的到貨日，並提供 100 元購物金。"),
    ("closed", "顧客不清楚免運門檻，已說明滿 499 元超商取貨免運，顧客已重新下單。"),
    ("closed", "補寄訂單確認信，並把確認信延遲的問題回報給工程團隊。"),
]

ZH_HANT_CLOSING_NOTES = [
    "已回電致歉，顧客接受說明。",
    "寄出退貨標籤，來回運費由我們負擔。",
    "確認包裹已送達，顧客表示沒問題了。",
    "已補寄物流追蹤連結給顧客。",
]


def seed_zh_hant(context: dict) -> dict:
    """The Traditional Chinese team's themes, surveys, 90 days of answers and follow-ups, once."""
    team = context.get("team")
    users = context.get("users", {})
    maps = context.get("maps", {}) or {}
    user = users.get("demo")
    if team is None or user is None:
        return {}
    for name, keywords, color in ZH_HANT_THEMES:
        Theme.objects.get_or_create(team=team, name=name, defaults={"keywords": keywords, "color": color})

    existing = {s.name: s for s in Survey.objects.filter(team=team)}
    rng = random.Random(20261203)
    start = timezone.now() - timedelta(days=ZH_HANT_DAYS)
    surveys, created, rows, displays = {}, [], [], []
    for (
        key,
        map_key,
        tp_name,
        name,
        kind,
        title,
        questions,
        threshold,
        per_day,
        channels,
        quality_of,
        comments,
    ) in ZH_HANT_SURVEYS:
        if name in existing:
            surveys[key] = existing[name]
            continue
        touchpoint = _named_touchpoint(maps.get(map_key), [tp_name])
        survey = _make(
            team,
            user,
            name,
            kind,
            touchpoint,
            title,
            threshold,
            questions,
            ZH_HANT_ORIGIN,
            thank_you=ZH_HANT_THANK_YOU,
            default_locale=ZH_HANT,
        )
        _answers(
            team,
            survey,
            kind,
            per_day,
            quality_of,
            comments,
            channels,
            rng,
            start,
            rows,
            displays,
            days=ZH_HANT_DAYS,
            locales=ZH_HANT_LOCALES,
        )
        surveys[key] = survey
        created.append(survey)
    if created:
        _store(rows, displays, created)
    draft_name = "新客第 90 天 NPS（草稿）"
    draft = existing.get(draft_name) or services.survey_create(
        team=team,
        actor=user,
        name=draft_name,
        kind="nps",
        title={ZH_HANT: "認識我們三個月了，您會推薦晨光選物給朋友嗎？"},
        default_locale=ZH_HANT,
        questions=ZH_HANT_NPS_QUESTIONS,
    )
    surveys["draft"] = draft

    checkout = surveys["checkout"]
    if checkout in created:
        recent = Response.objects.filter(survey=checkout, score__lt=7).order_by("-created_at")[:12]
        plan = ZH_HANT_FOLLOWUPS + [("closed", note) for note in ZH_HANT_CLOSING_NOTES]
        for response, (status, note) in zip(recent, plan, strict=False):
            followup = services.followup_open(response=response, survey=checkout)
            owner = followup.owner or user
            if followup.owner_id is None:  # the touchpoint may have lost its owner: the demo admin takes it
                FollowUp.objects.filter(pk=followup.pk).update(owner=user)
                followup.owner = user
            if status == "acknowledged":
                services.followup_acknowledge(followup=followup, actor=owner)
                services.followup_add_note(followup=followup, actor=owner, text=note)
            elif status == "closed":
                services.followup_close(followup=followup, actor=owner, note=note)
        _history_notified(team, timezone.now())
    return {"surveys": surveys}
