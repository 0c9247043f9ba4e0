"""The main pages load under the Content-Security-Policy without a single violation in Chromium."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from feedback.models import Survey
from tests.test_csp import main_pages


@pytest.mark.django_db(transaction=True)
def test_main_pages_report_no_csp_violation(page, login):
    call_command("seed_demo")
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}") if "Content Security Policy" in message.text else None
        ),
    )
    login(get_user_model().objects.get(username="demo"))
    survey = Survey.objects.exclude(status="draft").order_by("pk").first()
    pages = [*main_pages(), reverse("feedback_public:survey_page", args=[survey.public_key])]
    for url in pages:
        response = page.goto(url)
        assert response.status == 200, url
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
        page.wait_for_load_state("networkidle")
    assert violations == []

    # The listener does see a violation: a <style> added without the nonce is refused and reported.
    page.evaluate("document.head.insertAdjacentHTML('beforeend', '<style>body { color: red; }</style>')")
    page.wait_for_timeout(200)
    assert len(violations) == 1 and "style-src" in violations[0]
