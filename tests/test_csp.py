"""Content-Security-Policy: on every page, no inline script or handler, framing only where allowed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from experiments.models import Experiment
from feedback.models import Survey
from journeys.models import JourneyMap
from personas.models import Persona
from reviews.models import Review

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {p[0]: p[1:] for p in parts}


def main_pages() -> list[str]:
    """The main pages of the demo data: lists, a detail of each kind, the admin and the API docs."""
    team_maps = JourneyMap.objects.order_by("pk")
    survey = Survey.objects.exclude(status="draft").order_by("pk").first()
    return [
        reverse("home"),
        reverse("journeys:map_list"),
        reverse("journeys:map_detail", args=[team_maps.first().pk]),
        reverse("personas:list"),
        reverse("personas:detail", args=[Persona.objects.order_by("pk").first().pk]),
        reverse("feedback:survey_list"),
        reverse("feedback:survey_detail", args=[survey.pk]),
        reverse("feedback:survey_edit", args=[survey.pk]),
        reverse("feedback:survey_preview", args=[survey.pk]),
        reverse("feedback:response_list"),
        reverse("feedback:my_followups"),
        reverse("experiments:list"),
        reverse("experiments:detail", args=[Experiment.objects.order_by("pk").first().pk]),
        reverse("reviews:list"),
        reverse("reviews:map_review", args=[team_maps.first().pk]),
        reverse("reviews:detail", args=[Review.objects.order_by("pk").first().pk]),
        reverse("reviews:action_items"),
        reverse("admin:index"),
        reverse("api-docs"),
    ]


@pytest.fixture
def demo(db):
    call_command("seed_demo")
    return get_user_model().objects.get(username="demo")


def test_every_main_page_has_the_policy(client, demo):
    client.force_login(demo)
    for url in main_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        policy = directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], url
        assert policy["default-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"], url
        assert policy["frame-ancestors"] == ["'none'"], url
        assert "'unsafe-inline'" not in policy["style-src"], url
        body = response.content.decode()
        # A <style> element carries the nonce the header allows; nothing else is inline.
        for nonce in re.findall(r'<style nonce="([^"]+)"', body):
            assert f"'nonce-{nonce}'" in policy["style-src"], url
        assert not re.search(r"<style(?![^>]*nonce=)", body), url
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body), url
        assert not re.search(r"(?<![\w-])on[a-z]+=", body), url


def test_login_page_has_the_policy(client, db):
    response = client.get(reverse("login"))
    assert directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]


def test_hosted_survey_keeps_its_framing_and_gets_the_policy(client, demo):
    survey = Survey.objects.exclude(status="draft").exclude(allowed_origins=[]).order_by("pk").first()
    response = client.get(reverse("feedback_public:survey_page", args=[survey.public_key]))
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'self'", *survey.allowed_origins]
    assert policy["script-src"] == ["'self'"]
    assert "X-Frame-Options" not in response


def test_no_template_has_an_inline_script_or_handler():
    offenders = []
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*.html"):
            text = path.read_text()
            if re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text):
                offenders.append(f"{path.relative_to(ROOT)}: inline <script>")
            if re.search(r"(?<![\w-])on[a-z]+=", text):
                offenders.append(f"{path.relative_to(ROOT)}: on…= handler")
            if re.search(r"<style(?![^>]*nonce=)", text):
                offenders.append(f"{path.relative_to(ROOT)}: <style> without the nonce")
    assert offenders == []
