"""Comments in another script keep their own direction wherever the app shows them."""

import re

from django.urls import reverse

from feedback.models import FollowUp

# Arabic with a Latin order number: without isolation the number and "OK" jump to the wrong end.
COMMENT = "الدفع بطيء جدا، الطلب 4521 OK"


def _isolated(html: str, tag: str) -> bool:
    """Whether ``COMMENT`` sits directly in a ``<bdi>`` or in an element with ``dir="auto"``."""
    if tag == "bdi":
        return f"<bdi>{COMMENT}</bdi>" in html
    return re.search(rf'<{tag}[^>]*\bdir="auto"[^>]*>(<bdi>)?{re.escape(COMMENT)}', html) is not None


def test_comment_is_isolated_in_the_responses_list_and_the_results(client_as, alice, survey, submit):
    submit(survey, {"score": 9, "comment": COMMENT})
    client = client_as(alice)

    responses = client.get(reverse("feedback:response_list")).content.decode()
    results = client.get(reverse("feedback:survey_detail", args=[survey.pk])).content.decode()

    assert _isolated(responses, "dd")
    assert _isolated(results, "bdi")


def test_comment_and_notes_are_isolated_on_a_follow_up(client_as, survey, submit, checkout_owned, erin):
    submit(survey, {"score": 2, "comment": COMMENT})
    followup = FollowUp.objects.get()
    client = client_as(erin)
    client.post(reverse("feedback:followup_action", args=[followup.pk]), {"action": "note", "note": COMMENT})

    page = client.get(reverse("feedback:my_followups")).content.decode()

    assert re.search(rf'<blockquote dir="auto"><bdi>{re.escape(COMMENT)}</bdi>', page)
    assert re.search(rf'class="fb-notes"[^>]*dir="auto"[^>]*>[^<]*{re.escape(COMMENT)}', page)
    assert re.search(r'<textarea id="note-\d+" name="note"[^>]*dir="auto"', page)


def test_hosted_page_comment_box_takes_the_direction_of_what_is_typed(client, survey):
    page = client.get(reverse("feedback_public:survey_page", args=[survey.public_key]), {"locale": "ar"})

    assert re.search(r'<textarea id="q-comment" name="q_comment"[^>]*dir="auto"', page.content.decode())
