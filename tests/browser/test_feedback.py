"""Feedback in the browser: build a survey, embed it on another origin, answer, see it on the map."""

import functools
import http.server
import threading

import pytest
from playwright.sync_api import expect

from feedback import services
from feedback.models import FollowUp, Response, Survey
from journeys.models import JourneyMap, Stage, Touchpoint
from owners.models import Ownership


@pytest.fixture
def shop(team_a, erin):
    journey_map = JourneyMap.objects.create(team=team_a, title="Online shop")
    stage = Stage.objects.create(journey_map=journey_map, name="Decision")
    checkout = Touchpoint.objects.create(stage=stage, name="Checkout delivery options")
    Ownership.objects.create(journey_map=journey_map, touchpoint=checkout, user=erin, role="accountable")
    return journey_map, checkout


@pytest.fixture
def other_origin(tmp_path):
    """A static site on another origin (another port) that embeds the widget."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.django_db(transaction=True)
def test_survey_built_in_ui_embedded_on_another_origin_lands_on_the_map(
    page, login, alice, team_a, shop, other_origin, live_server, screenshot
):
    journey_map, _checkout = shop
    site_dir, site_origin = other_origin
    login(alice)

    page.goto("/feedback/")
    expect(page.get_by_text("No surveys yet.")).to_be_visible()
    screenshot(page, "feedback-surveys-empty")
    page.get_by_role("button", name="Create your first survey").click()
    page.get_by_label("Name").fill("Checkout NPS")
    page.get_by_label("Kind").select_option("nps")
    page.get_by_label("Touchpoint").select_option(label="Online shop › Decision › Checkout delivery options")
    page.get_by_label("Title (English)").fill("How was checkout?")
    page.get_by_role("button", name="Create survey").click()
    expect(page.locator("h1")).to_contain_text("Checkout NPS")

    page.locator("#id_allowed_origins").fill(site_origin)
    page.locator("#id_languages").fill("zh, lv, bg")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_label("Title (Latvian)")).to_be_visible()
    page.get_by_role("button", name="Open for answers").click()
    expect(page.locator("h1")).to_contain_text("Active")
    screenshot(page, "feedback-survey-builder")
    survey = Survey.objects.get(name="Checkout NPS")
    assert survey.allowed_origins == [site_origin] and survey.status == "active"

    snippet = page.locator("#snippet").input_value()
    assert f'data-survey="{survey.public_key}"' in snippet
    (site_dir / "index.html").write_text(
        f"<!doctype html><html lang='en'><head><title>Shop</title></head><body><h1>Thanks for your order</h1>"
        f"{snippet}</body></html>",
        encoding="utf-8",
    )
    shopper = page.context.browser.new_page()
    shopper.goto(f"{site_origin}/index.html")
    widget = shopper.locator("[data-waymark-survey] >> role=dialog")
    expect(widget).to_be_visible()
    expect(widget).to_contain_text("How likely are you to recommend us")
    widget.locator("label", has_text="3").first.click()
    widget.locator("textarea").fill("Delivery date only shown at the last step")
    shopper.keyboard.press("Tab")
    screenshot(shopper, "feedback-widget")
    widget.get_by_role("button", name="Send").click()
    expect(shopper.locator("[data-waymark-survey]")).to_contain_text("Thank you")
    shopper.close()

    stored = Response.objects.get(survey=survey)
    assert (stored.score, stored.finished, stored.channel) == (3, True, "widget")
    assert stored.answers["comment"] == "Delivery date only shown at the last step"
    assert FollowUp.objects.get(response=stored).owner.username == "erin"

    page.goto(f"/maps/{journey_map.pk}/")
    expect(page.locator("[data-testid=touchpoint-nps]").first).to_have_text("-100")

    _history(survey)  # ten weeks of earlier answers, so the trend has something to draw
    page.goto(f"/feedback/surveys/{survey.pk}/")
    expect(page.locator("[data-testid=figure-nps]")).not_to_be_empty()
    screenshot(page, "feedback-results")


def _history(survey):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    rows = []
    for week in range(1, 11):
        for i in range(12 + week * 2):
            score = [10, 9, 9, 8, 7, 6, 3, 10, 9, 2][(i + week) % 10] if week > 4 else [6, 3, 9, 2, 7, 10, 5][i % 7]
            created = now - timedelta(weeks=week, hours=i)
            rows.append(
                Response(
                    team_id=survey.team_id,
                    survey=survey,
                    touchpoint=survey.touchpoint,
                    stage_id=survey.touchpoint.stage_id,
                    submission_id=f"hist-{week}-{i}",
                    score=score,
                    metric="nps",
                    answers={"score": score},
                    created_at=created,
                    updated_at=created,
                    finished=True,
                )
            )
    Response.objects.bulk_create(rows)


@pytest.mark.django_db(transaction=True)
def test_owner_works_a_followup(page, login, erin, team_a, shop, screenshot):
    _, checkout = shop
    survey = services.survey_create(team=team_a, actor=erin, name="Checkout NPS", kind="nps", touchpoint=checkout)
    survey = services.survey_set_status(survey=survey, actor=erin, status="active")
    from feedback.validation import parse_submission

    services.response_submit(
        survey=survey,
        submission=parse_submission(
            {"submission_id": "browser-0001", "answers": {"score": 2, "comment": "Returns unclear"}}
        ),
    )
    login(erin)
    page.get_by_role("link", name="Follow-ups").first.click()
    card = page.locator(".fb-followup").first
    expect(card).to_contain_text("Returns unclear")
    # The note box and the buttons line up: one row, one height.
    controls = card.locator(".fb-followup-actions textarea, .fb-followup-actions button")
    boxes = [controls.nth(i).bounding_box() for i in range(controls.count())]
    assert len(boxes) == 4
    assert {round(b["y"]) for b in boxes} == {round(boxes[0]["y"])}
    assert {round(b["height"]) for b in boxes} == {round(boxes[0]["height"])}
    card.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".fb-followup").first).to_contain_text("Acknowledged")
    page.get_by_label("Note on this follow-up").fill("Called the customer, sent the returns page")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".fb-notes")).to_contain_text("Called the customer")
    screenshot(page, "feedback-followups")
    page.get_by_role("button", name="Close").click()
    expect(page.locator(".fb-followup").first).to_contain_text("Closed")
    assert FollowUp.objects.get().status == "closed"


@pytest.mark.django_db(transaction=True)
def test_email_link_confirms_before_storing(page, team_a, alice, live_server):
    survey = services.survey_create(team=team_a, actor=alice, name="Loan NPS", kind="nps")
    survey = services.survey_set_status(survey=survey, actor=alice, status="active")
    page.goto(f"/api/public/surveys/{survey.public_key}/email/8/")
    expect(page.locator(".wm-score-chosen")).to_have_text("8")
    assert Response.objects.count() == 0
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".wm-thanks")).to_be_visible()
    assert Response.objects.get().score == 8


@pytest.mark.django_db(transaction=True)
def test_map_scores_from_the_map_page(page, login, screenshot):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    demo = get_user_model().objects.get(username="demo")
    shop = JourneyMap.objects.get(title="Online furniture order")
    login(demo)
    page.goto(f"/maps/{shop.pk}/")
    page.get_by_role("navigation", name="Map actions").get_by_role("button", name="Scores").click()
    page.wait_for_url(f"**/feedback/maps/{shop.pk}/scores/")
    expect(page.locator("h1")).to_have_text("Scores")
    grid = page.get_by_test_id("scores-grid")
    expect(grid).to_be_visible()
    expect(grid.locator("thead th").first).to_have_text("Week starting")
    expect(grid.locator("tbody tr").first.locator("td strong").first).to_be_visible()  # an NPS in a cell
    expect(page.get_by_test_id("figure-nps")).to_be_visible()

    # The period swaps the figures in without a page load, and the trend is drawn again.
    page.locator("select[name=days]").select_option("30")
    page.wait_for_url("**days=30**")
    expect(page.locator("#trend-chart")).to_be_visible()
    page.locator("select[name=days]").select_option("90")
    page.wait_for_url("**days=90**")
    expect(page.get_by_test_id("scores-grid")).to_be_visible()
    screenshot(page, "map-scores")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "heading"), [("zh-hant", "問題"), ("bg", "Въпроси")])
def test_feedback_pages_hold_their_layout_in_other_languages(
    browser, live_server, alice, team_a, shop, language, heading, screenshot
):
    from django.test import Client

    _journey_map, checkout = shop
    survey = services.survey_create(
        team=team_a,
        actor=alice,
        name="Checkout NPS",
        kind="nps",
        touchpoint=checkout,
        title={"en": "How was it?", "zh-TW": "結帳體驗如何？", "bg": "Как мина?"},
    )
    services.survey_set_status(survey=survey, actor=alice, status="active")
    _history(survey)
    django_client = Client()
    django_client.force_login(alice)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale=language)
    context.add_cookies(
        [{"name": "sessionid", "value": django_client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    try:
        for path, name in [
            (f"/feedback/surveys/{survey.pk}/edit/", "feedback-survey-builder"),
            (f"/feedback/surveys/{survey.pk}/", "feedback-results"),
            ("/feedback/", "feedback-surveys"),
        ]:
            page.goto(path)
            assert page.evaluate("() => document.documentElement.lang") == language
            # Longer Bulgarian labels and unbroken CJK runs must wrap, not push the page sideways.
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366, path
            screenshot(page, f"{name}-{language}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.goto(f"/feedback/surveys/{survey.pk}/edit/")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"/api/public/surveys/{survey.public_key}/page/?locale={'zh-TW' if language == 'zh-hant' else 'bg'}")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        expect(page.get_by_role("button", name="送出" if language == "zh-hant" else "Изпрати")).to_be_visible()
    finally:
        context.close()
