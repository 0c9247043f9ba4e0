"""Demo personas and scenarios, drawn from the seeds' three cases.

An online shop whose carts were abandoned at the decision stage (delivery time and the returns
policy were the worry); a bank whose loan application lost people to unclear information; a travel
company that added customer stories to build trust. ``seed`` returns the personas and one main
scenario each under the keys ``shopper``, ``borrower`` and ``traveller`` for the journeys demo.
"""

from __future__ import annotations

from . import services
from .models import Persona, Scenario

PERSONAS = {
    "shopper": {
        "name": "Careful online shopper",
        "summary": "Buys furniture and home goods online, but only once delivery date and return terms are clear.",
        "role": "Urban professional, 30–45, orders on mobile",
        "market": Persona.Market.B2C,
        "avatar_color": "#0f766e",
        "jobs_to_be_done": "Furnish a new flat without taking days off work\n"
        "Compare a few options quickly on the phone",
        "goals": "Have the order arrive before the weekend\nReturn it without cost or hassle if it does not fit",
        "obstacles": "Delivery date only appears at the last checkout step\n"
        "Returns policy is hidden in the footer\nDelivery cost shown late",
        "success_markers": "Completes checkout in one visit\nNo support contact about delivery or returns",
        "typical_deviations": "Leaves the cart to check delivery times elsewhere\n"
        "Asks support chat about returns before paying",
        "quotes": "I won't pay until I know when it arrives.\n"
        "If I can't send it back for free, I'll buy it in the store.",
        # The demo customers' identify traits (customers/demo.py): who came for furniture.
        "trait_rules": [{"trait": "product", "op": "eq", "value": "furniture"}],
        "priority": 10,
    },
    "borrower": {
        "name": "First-time loan applicant",
        "summary": "Applies for a first consumer loan online and needs to understand the terms before committing.",
        "role": "Young family, first home improvement loan",
        "market": Persona.Market.B2C,
        "avatar_color": "#1d4ed8",
        "jobs_to_be_done": "Borrow for a kitchen renovation at a rate the family can afford",
        "goals": "Know the monthly payment and total cost up front\nGet a decision within a day",
        "obstacles": "Unclear list of documents needed\nJargon in the offer (APR, collateral)\n"
        "No way to ask a question mid-application",
        "success_markers": "Submits a complete application at the first attempt\n"
        "Signs the offer without calling the branch",
        "typical_deviations": "Abandons at the income-proof step to find documents\n"
        "Calls the branch to ask what APR means",
        "quotes": "I just want to know what I'll pay each month.\nWhy do they need all these papers?",
        "trait_rules": [{"trait": "product", "op": "eq", "value": "loan"}],
        "priority": 20,
    },
    "traveller": {
        "name": "Trust-seeking traveller",
        "summary": "Books a family trip with a tour operator they have not used before,"
        " after reading real customer stories.",
        "role": "Parent planning the yearly family holiday",
        "market": Persona.Market.B2C,
        "avatar_color": "#c2410c",
        "jobs_to_be_done": "Plan a stress-free holiday the whole family enjoys",
        "goals": "Be sure the hotel looks like the photos\nKnow what happens if the flight is cancelled",
        "obstacles": "Does not trust polished marketing photos\nFew reviews from families like theirs",
        "success_markers": "Reads at least one customer story before booking\nBooks again the next year",
        "typical_deviations": "Leaves to search for reviews on other sites\nAsks friends on social media before paying",
        "quotes": "I want to hear from people like us who actually went.",
        "trait_rules": [{"trait": "product", "op": "in", "value": ["holiday", "trip"]}],
        "priority": 30,
    },
}

SCENARIOS = {
    "shopper": [
        {
            "name": "First order on mobile",
            "kind": Scenario.Kind.FIRST_TIME,
            "trigger": "Sees a sofa in a social media ad during the commute",
            "goal": "Order it with delivery before the weekend",
            "expected_outcome": "Pays with confidence, knowing the delivery date and the free returns",
            "success_markers": "Completes checkout\nDoes not open support chat about delivery",
        },
        {
            "name": "Switching from the local store",
            "kind": Scenario.Kind.SWITCHING,
            "trigger": "The local furniture store has a six-week wait",
            "goal": "Find the same quality online, delivered sooner",
            "expected_outcome": "Chooses the shop over the store for delivery speed",
            "success_markers": "Orders within a week of the first visit",
        },
    ],
    "borrower": [
        {
            "name": "Online loan application",
            "kind": Scenario.Kind.FIRST_TIME,
            "trigger": "Gets a builder's quote for the new kitchen",
            "goal": "Apply online and get a clear decision",
            "expected_outcome": "Understands the offer and signs it online",
            "success_markers": "Application completed in one sitting\nNo call to the branch",
        },
        {
            "name": "Comparing offers from two banks",
            "kind": Scenario.Kind.SWITCHING,
            "trigger": "Another bank advertises a lower rate",
            "goal": "Compare the total cost of both offers",
            "expected_outcome": "Sees the full cost clearly and stays",
            "success_markers": "Uses the loan calculator\nAccepts the offer",
        },
    ],
    "traveller": [
        {
            "name": "Booking a first family holiday",
            "kind": Scenario.Kind.FIRST_TIME,
            "trigger": "School holidays are three months away",
            "goal": "Book a package the family trusts",
            "expected_outcome": "Books after reading stories from families like theirs",
            "success_markers": "Reads a customer story\nBooks within two weeks",
        },
        {
            "name": "Booking again after a good trip",
            "kind": Scenario.Kind.RETURNING,
            "trigger": "Photos from last year's trip come up on the phone",
            "goal": "Book again quickly, maybe somewhere new",
            "expected_outcome": "Rebooks and shares their own story",
            "success_markers": "Rebooks within the season\nSubmits a customer story",
        },
    ],
}

# The Traditional Chinese team (晨光選物, a Taiwanese online lifestyle shop): a first-time buyer
# on the phone, a company buying gift boxes for its staff, and a regular who orders again.
ZH_HANT_PERSONAS = {
    "shopper": {
        "name": "重視質感的小資上班族",
        "summary": "住在雙北的上班族，通勤時用手機逛選物網站；看到喜歡的餐具或香氛會先收藏，"
        "確定到貨時間和運費後才下單。",
        "role": "25–35 歲上班族，用手機下單、習慣超商取貨",
        "market": Persona.Market.B2C,
        "avatar_color": "#b45309",
        "jobs_to_be_done": "把租屋處布置出自己的風格\n找一份不會踩雷的生日禮物",
        "goals": "週末前收到商品\n免運門檻一目了然，湊單不用算半天\n不喜歡可以輕鬆退換貨",
        "obstacles": "到貨時間要到結帳最後一步才看得到\n超商取貨的運費規則寫在常見問題裡\n商品實際顏色和照片有落差",
        "success_markers": "第一次造訪就完成結帳\n沒有為了運費或到貨時間私訊客服\n60 天內回購",
        "typical_deviations": "把商品放進購物車後跑去蝦皮比價\n先傳 LINE 問客服「今天下單，週五收得到嗎？」",
        "quotes": "我只想知道禮拜五前收不收得到。\n運費如果要另外算，我就直接去實體店買了。",
    },
    "buyer": {
        "name": "企業福委會採購窗口",
        "summary": "負責公司三節禮品與員工福利的行政人員，一次要訂上百份禮盒，最在意報價速度、發票正確與準時送達。",
        "role": "中小企業行政／福委，30–45 歲",
        "market": Persona.Market.B2B,
        "avatar_color": "#0f766e",
        "jobs_to_be_done": "在預算內準備中秋與年節的員工禮盒\n讓主管一次就核准採購",
        "goals": "三個工作天內拿到正式報價單\n可以分址配送、開立統編發票\n節前一週全部送達",
        "obstacles": "官網沒有大量訂購的入口，只能私訊粉專\n報價要來回確認好幾次\n不確定禮盒能不能附上客製小卡",
        "success_markers": "一次詢價就成交\n隔年主動回來續訂",
        "typical_deviations": "同時向三家廠商詢價比較\n報價太慢，改訂便利商店的預購禮盒",
        "quotes": "主管下週一就要看報價，可以先給我嗎？\n發票抬頭和統編一定要對。",
    },
    "regular": {
        "name": "固定回購的熟客",
        "summary": "在晨光選物買過三次以上，固定回購咖啡豆和手工皂，會在 IG 分享開箱，也常推薦給朋友。",
        "role": "30–50 歲，LINE 官方帳號好友，金卡會員",
        "market": Persona.Market.B2C,
        "avatar_color": "#7c3aed",
        "jobs_to_be_done": "不用每次重新找，就能補貨常用的咖啡豆和手工皂\n替朋友挑一份不會出錯的禮物",
        "goals": "會員點數能直接折抵\n新品上架第一時間知道",
        "obstacles": "點數規則複雜，結帳時不知道能折多少\nLINE 推播太頻繁，重要的訊息反而被忽略",
        "success_markers": "每 45 天內回購一次\n在 IG 標註品牌分享開箱",
        "typical_deviations": "封鎖 LINE 官方帳號\n點數快到期才想起來要用",
        "quotes": "點數到底可以折多少，結帳前就該告訴我。",
    },
}

ZH_HANT_SCENARIOS = {
    "shopper": [
        {
            "name": "在 IG 看到廣告，第一次用手機下單",
            "kind": Scenario.Kind.FIRST_TIME,
            "trigger": "通勤時在 Instagram 限時動態看到手作陶瓷馬克杯的廣告",
            "goal": "週五前收到，當作同事的生日禮物",
            "expected_outcome": "結帳前就看到預計到貨日與運費，安心付款",
            "success_markers": "一次完成結帳\n沒有私訊客服詢問到貨時間",
        },
        {
            "name": "從蝦皮賣場轉到官網購買",
            "kind": Scenario.Kind.SWITCHING,
            "trigger": "在蝦皮買過一次，包裹裡的小卡寫著「官網首購享九折」",
            "goal": "在官網買到一樣的商品，還能累積會員點數",
            "expected_outcome": "加入會員，並在官網完成第二筆訂單",
            "success_markers": "收到包裹後一週內在官網下單",
        },
    ],
    "buyer": [
        {
            "name": "中秋節員工禮盒採購",
            "kind": Scenario.Kind.BUYING_FOR_TEAM,
            "trigger": "福委會決議今年中秋發送 120 份禮盒",
            "goal": "兩週內完成比價、報價與下單",
            "expected_outcome": "收到正式報價單，主管一次核准，節前全數送達",
            "success_markers": "三個工作天內收到報價\n禮盒準時送到各分公司",
        },
        {
            "name": "年節禮盒續訂",
            "kind": Scenario.Kind.RENEWAL,
            "trigger": "業務在十二月初寄來年節禮盒型錄",
            "goal": "照去年的規格再訂一次，數量增加",
            "expected_outcome": "沿用去年的報價直接續訂",
            "success_markers": "一封 Email 就完成續訂",
        },
    ],
    "regular": [
        {
            "name": "補貨咖啡豆",
            "kind": Scenario.Kind.RETURNING,
            "trigger": "LINE 收到「您的咖啡豆差不多該補貨了」的提醒",
            "goal": "三分鐘內用點數折抵完成回購",
            "expected_outcome": "用點數折抵，一鍵再買一次",
            "success_markers": "從收到推播到付款不到五分鐘",
        },
        {
            "name": "推薦朋友首購",
            "kind": Scenario.Kind.OTHER,
            "trigger": "朋友在 IG 問她杯子在哪裡買的",
            "goal": "把推薦連結傳給朋友，兩個人都拿到購物金",
            "expected_outcome": "朋友用推薦碼完成首購",
            "success_markers": "推薦碼被使用\n推薦人收到購物金通知",
        },
    ],
}


def seed(context: dict) -> dict:
    """Create the demo personas and scenarios in the demo team once; return them by key."""
    return _seed(context["team"], context["users"]["editor"], PERSONAS, SCENARIOS)


def seed_zh_hant(context: dict) -> dict:
    """The Traditional Chinese team's personas and scenarios (``ZH_HANT_PERSONAS``), once."""
    return _seed(context["team"], context["users"]["editor"], ZH_HANT_PERSONAS, ZH_HANT_SCENARIOS)


def _seed(team, actor, persona_table: dict, scenario_table: dict) -> dict:
    personas, scenarios = {}, {}
    for key, fields in persona_table.items():
        persona = Persona.objects.filter(team=team, name__iexact=fields["name"]).first()
        if persona is None:
            persona = services.persona_create(team=team, actor=actor, **fields)
        elif fields.get("trait_rules") and not persona.trait_rules:
            # A demo seeded before personas had trait rules: give them theirs.
            services.persona_update(
                persona=persona, actor=actor, trait_rules=fields["trait_rules"], priority=fields["priority"]
            )
        for i, data in enumerate(scenario_table[key]):
            scenario = persona.scenarios.filter(name__iexact=data["name"]).first()
            if scenario is None:
                scenario = services.scenario_create(persona=persona, actor=actor, **data)
            if i == 0:
                scenarios[key] = scenario
        personas[key] = persona
    return {"personas": personas, "scenarios": scenarios}
