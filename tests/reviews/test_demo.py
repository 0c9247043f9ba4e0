"""The Traditional Chinese demo team's weekly reviews: notes and action items in zh-Hant, one overdue; made once."""

import pytest
from django.utils import timezone

from journeys import demo as journey_demo
from personas import demo as persona_demo
from reviews import demo
from reviews.models import ActionItem, Review
from teams import demo as team_demo


@pytest.mark.django_db
def test_zh_hant_reviews_have_action_items_and_are_made_once():
    context = team_demo.seed()
    zh_context = team_demo.seed_zh_hant(context)
    zh_context.update(persona_demo.seed_zh_hant(zh_context))
    zh_context.update(journey_demo.seed_zh_hant(zh_context))
    made = demo.seed_zh_hant(zh_context)["reviews"]
    assert set(made) == {"funnel", "b2b"}
    funnel = zh_context["maps"]["funnel"]
    latest = Review.objects.filter(journey_map=funnel).order_by("-date").first()
    assert latest.kind == "weekly" and "到貨日實驗" in latest.notes
    assert (timezone.localdate() - latest.date).days == 7
    assert set(latest.attendees.values_list("username", flat=True)) == {"demo", "editor", "viewer"}
    items = ActionItem.objects.filter(review__journey_map__team=zh_context["team"])
    assert items.count() == 7
    assert items.filter(done=True).count() == 4
    overdue = items.filter(done=False, due_date__lt=timezone.localdate())
    assert list(overdue.values_list("title", flat=True)) == ["整理結帳 NPS 批評者的跟進結果"]
    counts = (Review.objects.count(), ActionItem.objects.count())
    assert demo.seed_zh_hant(zh_context) == {"reviews": {}}
    assert (Review.objects.count(), ActionItem.objects.count()) == counts
