"""Demo data for journeys: the three seed cases as maps, each with two published versions.

- Shop: carts abandoned at Decision because delivery time and the returns policy were unclear;
  v2 shows delivery dates and the returns policy on the product page.
- Bank: the loan application lost people to unclear information; v2 adds a plain-language rate
  explainer and a document checklist.
- Travel: customers did not trust the company; v2 adds customer stories to build trust.

``seed_zh_hant`` does the same for the team that works in Traditional Chinese: the seeds'
MarketPlan funnel (漏斗頂部 / 中部 / 底部) and a company's bulk order of gift boxes.

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
                actor=user,
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
                    actor=user,
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
    services.touchpoint_update(touchpoint=cart, actor=user, revision=None, emotion_label="confident")
    for pain in cart.pain_points.filter(title__startswith="Delivery date"):
        services.pain_point_update(pain_point=pain, actor=user, revision=None, status="fixed")
    decision = journey_map.stages.get(name="Decision")
    services.touchpoint_create(
        stage=decision,
        actor=user,
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
        stage=chat,
        actor=user,
        revision=None,
        name="Support chat about returns",
        channel="chat",
        emotion_label="anxious",
    )


def _bank_v2(journey_map, user) -> None:
    application = _touchpoint(journey_map, "Online loan application")
    services.touchpoint_update(
        touchpoint=application, actor=user, revision=None, emotion_label="confused", description="Checklist added."
    )
    for pain in application.pain_points.filter(title__startswith="Unclear"):
        services.pain_point_update(pain_point=pain, actor=user, revision=None, status="fixing")
    services.touchpoint_create(
        stage=journey_map.stages.get(name="Decision"),
        actor=user,
        revision=None,
        position=0,
        name="Document checklist before applying",
        channel="page",
        emotion_label="confident",
        evidence_source="interview",
        evidence_verified_at=timezone.localdate(),
    )
    rates = _touchpoint(journey_map, "Rates and fees page")
    services.touchpoint_update(touchpoint=rates, actor=user, revision=None, name="Plain-language rates explainer")


def _travel_v2(journey_map, user) -> None:
    services.touchpoint_create(
        stage=journey_map.stages.get(name="Consideration"),
        actor=user,
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
    services.touchpoint_update(touchpoint=reviews, actor=user, revision=None, emotion_label="curious")
    blog = _touchpoint(journey_map, "Travel blog article")
    services.touchpoint_move(touchpoint=blog, actor=user, revision=None, stage=journey_map.stages.get(name="Advocacy"))


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

# The Traditional Chinese team (晨光選物). The first map is the seeds' MarketPlan funnel: the top
# (awareness), the middle (consideration, the most critical part) and the bottom (converted, and
# still to be kept); the cart at the middle loses the most people, as in the English shop's case.
ZH_HANT_STAGES = {
    "funnel": [
        ("漏斗頂部：認知", "top", "剛意識到需求的潛在客戶，透過社群廣告、部落格文章和口碑第一次認識我們。"),
        (
            "漏斗中部：考慮",
            "middle",
            "比較價格、運費、評價和品牌，是漏斗中最關鍵的一段：詳細的商品資訊、開箱影片和顧客案例最有幫助。",
        ),
        ("漏斗底部：轉換", "bottom", "從潛在客戶變成付費顧客：結帳、付款與出貨。"),
        ("漏斗底部：留存", "bottom", "成交後仍在漏斗裡：靠貼心的售後與客服把顧客留下來，帶來回購和推薦。"),
    ],
    "b2b": [
        ("認知", "top", "福委或行政人員開始找今年的節慶禮盒。"),
        ("考慮", "middle", "看型錄、比較預算與品項，詢問能否客製。"),
        ("詢價與報價", "middle", "提出數量與規格，等待正式報價單。"),
        ("決策", "middle", "試吃樣品，整理比價資料請主管核准。"),
        ("購買與出貨", "bottom", "下單、付款、開立發票，分址配送。"),
        ("留存與續訂", "bottom", "節後回饋，下一個節日再次訂購。"),
    ],
}

ZH_FUNNEL_V1 = {
    "漏斗頂部：認知": [
        ("Instagram 限時動態廣告", "ad", "curious", "", "廣告點閱率", "analytics", []),
        ("部落格文章〈小坪數餐桌這樣布置〉", "page", "curious", "", "", "analytics", []),
        ("KOL 開箱影片", "social", "curious", "", "", "assumption", []),
        ("華山文創市集快閃攤位", "store", "delighted", "", "", "interview", []),
    ],
    "漏斗中部：考慮": [
        (
            "商品頁",
            "page",
            "curious",
            "",
            "",
            "analytics",
            [("實拍照太少，顏色和實品有落差", 3, "open")],
        ),
        (
            "購物車與運送方式",
            "page",
            "anxious",
            "loss_risk",
            "購物車到結帳轉換率",
            "analytics",
            [("預計到貨日要到最後一步才顯示", 5, "open"), ("超商取貨的免運門檻寫得不清楚", 4, "open")],
        ),
        (
            "LINE 客服詢問到貨時間",
            "chat",
            "anxious",
            "",
            "",
            "support_records",
            [("晚上和週末沒有人回覆", 3, "open")],
        ),
    ],
    "漏斗底部：轉換": [
        ("結帳與付款（LINE Pay／信用卡）", "page", "neutral", "first_value", "結帳完成率", "analytics", []),
        ("訂單成立簡訊", "sms", "confident", "", "", "analytics", []),
        (
            "出貨通知 Email",
            "email",
            "confident",
            "",
            "",
            "support_records",
            [("出貨通知沒有附物流追蹤連結", 2, "open")],
        ),
    ],
    "漏斗底部：留存": [
        ("開箱與手寫小卡", "other", "delighted", "", "", "interview", []),
        (
            "LINE 回購提醒與點數到期通知",
            "push",
            "curious",
            "first_repeat",
            "60 天回購率",
            "analytics",
            [("推播太頻繁，被顧客封鎖", 3, "open")],
        ),
        ("推薦好友拿購物金", "social", "delighted", "first_referral", "推薦碼使用率", "assumption", []),
    ],
}

ZH_B2B_V1 = {
    "認知": [
        ("Google 關鍵字廣告「企業禮盒」", "ad", "curious", "", "", "analytics", []),
        ("其他公司福委的推薦", "other", "confident", "", "", "interview", []),
    ],
    "考慮": [
        ("企業禮盒型錄 PDF", "page", "curious", "", "", "analytics", []),
        (
            "Facebook 粉專私訊詢價",
            "social",
            "frustrated",
            "",
            "",
            "support_records",
            [("大量訂購只能私訊，回覆很慢", 4, "open")],
        ),
    ],
    "詢價與報價": [
        (
            "報價單 Email",
            "email",
            "anxious",
            "loss_risk",
            "詢價到成交率",
            "support_records",
            [("報價平均要四個工作天", 5, "open"), ("客製小卡和分址配送要另外詢問", 3, "open")],
        ),
        ("業務電話確認規格", "phone", "neutral", "", "", "interview", []),
    ],
    "決策": [
        ("樣品寄送", "other", "confident", "", "", "interview", []),
        (
            "內部比價與主管核准",
            "other",
            "anxious",
            "",
            "",
            "assumption",
            [("沒有能直接附給主管的比較資料", 3, "open")],
        ),
    ],
    "購買與出貨": [
        ("匯款與開立統編發票", "email", "neutral", "first_value", "發票正確率", "analytics", []),
        (
            "分址配送進度通知",
            "email",
            "anxious",
            "",
            "準時送達率",
            "support_records",
            [("出貨進度要打電話才問得到", 4, "open")],
        ),
    ],
    "留存與續訂": [
        ("節後滿意度問卷", "email", "neutral", "", "", "survey_theme", []),
        ("年節禮盒續訂提醒", "email", "confident", "first_repeat", "續訂率", "analytics", []),
    ],
}


def _zh_funnel_v2(journey_map, user) -> None:
    cart = _touchpoint(journey_map, "購物車與運送方式")
    services.touchpoint_update(touchpoint=cart, actor=user, revision=None, emotion_label="confident")
    for pain in cart.pain_points.filter(title__startswith="預計到貨日"):
        services.pain_point_update(pain_point=pain, actor=user, revision=None, status="fixed")
    for pain in cart.pain_points.filter(title__startswith="超商取貨"):
        services.pain_point_update(pain_point=pain, actor=user, revision=None, status="fixing")
    services.touchpoint_create(
        stage=journey_map.stages.get(name="漏斗中部：考慮"),
        actor=user,
        revision=None,
        position=1,
        name="商品頁顯示預計到貨日與免運門檻",
        channel="page",
        emotion_label="confident",
        description="下午三點前下單，隔天到貨；超商取貨滿 499 元免運。",
        evidence_source="analytics",
        evidence_verified_at=timezone.localdate(),
    )
    chat = _touchpoint(journey_map, "LINE 客服詢問到貨時間")
    services.touchpoint_update(
        touchpoint=chat,
        actor=user,
        revision=None,
        description="非上班時間由自動回覆提供訂單查詢連結。",
        emotion_label="neutral",
    )


def _zh_b2b_v2(journey_map, user) -> None:
    services.touchpoint_create(
        stage=journey_map.stages.get(name="考慮"),
        actor=user,
        revision=None,
        position=1,
        name="官網大量訂購表單",
        channel="page",
        emotion_label="confident",
        is_moment=True,
        moment_kind="other",
        metric_name="表單詢價數",
        evidence_source="analytics",
        evidence_verified_at=timezone.localdate(),
    )
    messages = _touchpoint(journey_map, "Facebook 粉專私訊詢價")
    for pain in messages.pain_points.filter(title__startswith="大量訂購"):
        services.pain_point_update(pain_point=pain, actor=user, revision=None, status="fixed")
    quote = _touchpoint(journey_map, "報價單 Email")
    services.touchpoint_update(
        touchpoint=quote, actor=user, revision=None, description="承諾三個工作天內回覆正式報價。"
    )
    for pain in quote.pain_points.filter(title__startswith="報價平均"):
        services.pain_point_update(pain_point=pain, actor=user, revision=None, status="fixing")


ZH_HANT_CASES = [
    (
        "funnel",
        "shopper",
        "行銷漏斗：新客從認識品牌到回購",
        "依漏斗頂部、中部、底部整理新客旅程。漏斗中部的購物車流失最多：顧客擔心到貨時間和運費。"
        "第二版把預計到貨日和免運門檻放上商品頁。",
        ZH_FUNNEL_V1,
        _zh_funnel_v2,
        "依購物車放棄原因調查建立的基準版本",
        "商品頁顯示預計到貨日與免運門檻",
    ),
    (
        "b2b",
        "buyer",
        "企業禮盒大量訂購",
        "中秋與年節前，企業福委從詢價、比價到下單的旅程。詢價卡在粉專私訊，報價平均要四個工作天；"
        "第二版加上官網大量訂購表單，並承諾三個工作天內報價。",
        ZH_B2B_V1,
        _zh_b2b_v2,
        "去年中秋檔期的訪談整理",
        "大量訂購表單上線，報價承諾三個工作天",
    ),
]


# The portfolio groups maps by product (journeys/portfolio.py).
PRODUCTS = {
    "shop": "Online store",
    "travel": "Online store",
    "bank": "Lending",
    "funnel": "線上選物店",
    "b2b": "企業採購",
}


def seed(context: dict) -> dict:
    return {"maps": _seed_maps(context, CASES)}


def seed_zh_hant(context: dict) -> dict:
    """The Traditional Chinese team's maps (``ZH_HANT_CASES``)."""
    return {"maps": _seed_maps(context, ZH_HANT_CASES, ZH_HANT_STAGES)}


def _seed_maps(context: dict, cases: list, stage_tables: dict | None = None) -> dict:
    """Create each case's map once (v1 from its layout, then its change as v2); return them by key.

    ``stage_tables``: map key -> [(name, funnel part, description)] for a map whose stages are not
    the default ones.
    """
    team = context["team"]
    user = context["users"]["editor"]
    personas = context.get("personas") or {}
    scenarios = context.get("scenarios") or {}
    maps = {}
    for key, persona_key, title, description, layout, change, note1, note2 in cases:
        existing = JourneyMap.objects.filter(team=team, title=title).first()
        if existing is not None:
            maps[key] = existing
            continue
        persona = personas.get(persona_key)
        scenario = scenarios.get(persona_key)
        if scenario is not None and persona is not None and scenario.persona_id != persona.pk:
            scenario = None
        stages = (stage_tables or {}).get(key)
        # The English demo's steps look stages up by their English names, whatever language is active.
        journey_map = services.map_create(
            team=team,
            actor=user,
            title=title,
            description=description,
            product=PRODUCTS.get(key, ""),
            persona=persona,
            scenario=scenario,
            stages=[] if stages else list(DEFAULT_STAGES),
        )
        for name, funnel, stage_description in stages or []:
            services.stage_create(
                journey_map=journey_map,
                actor=user,
                revision=None,
                name=name,
                funnel=funnel,
                description=stage_description,
            )
        _build(journey_map, layout, user)
        services.map_publish(journey_map=journey_map, actor=user, note=note1)
        change(journey_map, user)
        services.map_publish(journey_map=journey_map, actor=user, note=note2)
        maps[key] = journey_map
    return maps
