"""Demo discussions: on the shop map, an open thread about its worst pain point with a mention, and
a resolved one about a stage, so the board, the bell, the notifications page and the review agenda
all have something to show. Idempotent: a map that has threads is left alone."""

from __future__ import annotations

from journeys.models import PainPoint, Stage

from . import services
from .models import Notification, Thread

# (map key, the thread about the worst pain point and its reply, the stage's thread and its reply)
TEXTS = (
    "shop",
    "@{admin} shoppers still leave here. Should the delivery date show on the product page before the cart?",
    "Yes: let's try it as an experiment and look at it in this week's review.",
    "Is the stage's description still what we see in the interviews?",
    "Checked against last month's interviews: it is.",
)
ZH_HANT_TEXTS = (
    "funnel",
    "@{admin} 顧客還是在這裡離開。要不要在加入購物車之前，就在商品頁顯示預計到貨日？",
    "好，先做成實驗，這週的每週檢視再一起看結果。",
    "這個階段的說明，還符合我們在訪談中聽到的情況嗎？",
    "已對照上個月的訪談：仍然符合。",
)


def seed(context: dict) -> dict:
    return _seed(context, TEXTS)


def seed_zh_hant(context: dict) -> dict:
    """The Traditional Chinese team's threads, in Taiwan's usage, on its funnel map."""
    return _seed(context, ZH_HANT_TEXTS)


def _seed(context: dict, texts: tuple) -> dict:
    key, question, answer, stage_question, stage_answer = texts
    maps = context.get("maps") or {}
    users = context.get("users") or {}
    journey_map = maps.get(key)
    editor, admin = users.get("editor"), users.get("demo")
    if journey_map is None or editor is None or admin is None:
        return {}
    if Thread.objects.filter(journey_map=journey_map).exists():
        return {}
    pain = (
        PainPoint.objects.filter(touchpoint__stage__journey_map=journey_map)
        .exclude(status=PainPoint.Status.FIXED)
        .order_by("-severity", "created_at")
        .first()
    )
    made = []
    if pain is not None:
        thread = services.thread_start(actor=editor, part=pain, body=question.format(admin=admin.username))
        services.comment_add(actor=admin, thread=thread, body=answer)
        made.append(thread)
    stage = Stage.objects.filter(journey_map=journey_map).order_by("position").first()
    if stage is not None:
        thread = services.thread_start(actor=admin, part=stage, body=stage_question)
        services.comment_add(actor=editor, thread=thread, body=stage_answer)
        made.append(services.thread_resolve(actor=editor, thread=thread))
    # Seeded history is not news: nobody gets an email for it.
    Notification.objects.filter(comment__thread__in=made).update(email=Notification.Email.SKIPPED)
    return {"threads": made}
