"""The map page's cards and stage headers, built in Python (journeys.cards and the parts other apps
register): every value a person typed comes out escaped, and every part shows what it shows."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from experiments.models import Experiment
from feedback import services as feedback_services
from feedback.validation import parse_submission
from journeys.models import JourneyMap, MapVersion, PainPoint, Stage, Touchpoint
from owners.models import SLA, Handoff, Ownership
from tests.experiments.factories import ExperimentFactory
from tests.factories import UserFactory

EVIL = "<b>x</b> \"q\" 'a' & <script>alert(1)</script>"
ESCAPED = "&lt;b&gt;x&lt;/b&gt; &quot;q&quot; &#x27;a&#x27; &amp; &lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def hostile_map(team_a, erin, alice):
    """A map where every text a card or stage header shows is markup, with every part present."""
    journey_map = JourneyMap.objects.create(team=team_a, title="Shop")
    stage = Stage.objects.create(journey_map=journey_map, name=f"Stage {EVIL}", position=0)
    touchpoint = Touchpoint.objects.create(
        stage=stage,
        name=f"Touchpoint {EVIL}",
        position=0,
        emotion=-2,
        emotion_label="frustrated",
        is_moment=True,
        moment_kind="first_value",
        metric_name=f"Metric {EVIL}",
    )
    bare = Touchpoint.objects.create(stage=stage, name="Bare", position=1, is_moment=True)
    PainPoint.objects.create(touchpoint=touchpoint, title=f"Pain {EVIL}", severity=4, status="fixing")
    PainPoint.objects.create(touchpoint=touchpoint, title="Fixed one", severity=5, status="fixed")
    owner = UserFactory(username="owner", first_name=f"Ann {EVIL}", last_name="Lee")
    gone = UserFactory(username="gone", first_name="Gone", last_name="Away")  # never a member of the team
    Ownership.objects.create(journey_map=journey_map, touchpoint=touchpoint, user=owner)
    Ownership.objects.create(journey_map=journey_map, touchpoint=touchpoint, user=gone, role="consulted")
    Ownership.objects.create(journey_map=journey_map, stage=stage, user=owner)
    team_a.memberships.create(user=owner, role="editor")
    SLA.objects.create(touchpoint=touchpoint, response_target=timedelta(hours=8), business_hours=True)
    Handoff.objects.create(journey_map=journey_map, from_touchpoint=touchpoint, to_touchpoint=bare, to_owner=owner)
    version = MapVersion.objects.create(journey_map=journey_map, number=3, snapshot={})
    ExperimentFactory(
        team=team_a,
        title=f"Experiment {EVIL}",
        touchpoint=touchpoint,
        status=Experiment.Status.CONCLUDED,
        outcome=Experiment.Outcome.SUPPORTED,
        decision=Experiment.Decision.SHIP,
        map_version=version,
    )
    survey = feedback_services.survey_create(team=team_a, actor=alice, name="NPS", kind="nps", touchpoint=touchpoint)
    survey = feedback_services.survey_set_status(survey=survey, actor=alice, status="active")
    for i, score in enumerate((10, 9, 3)):
        data = parse_submission({"submission_id": f"submission-{i}", "answers": {"score": score}})
        feedback_services.response_submit(survey=survey, submission=data)
    return journey_map, stage, touchpoint, bare


def test_every_value_on_a_card_and_stage_header_is_escaped(client_as, erin, hostile_map):
    journey_map = hostile_map[0]
    html = client_as(erin).get(reverse("journeys:map_detail", args=[journey_map.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html and "<b>x</b>" not in html
    for shown in (
        f"Touchpoint {ESCAPED}</button>",  # the card's title
        f'aria-label="Touchpoint {ESCAPED}: open details and edit"',
        f'aria-label="Move Touchpoint {ESCAPED} up"',
        f"Metric: Metric {ESCAPED}</span>",
        f"Pain {ESCAPED}",
        f"Owner: </span>Ann {ESCAPED} Lee</span>",  # the card's accountable owner
        f"Stage owner: </span>Ann {ESCAPED} Lee</span>",
        f"hands off to <strong>Bare</strong> (Ann {ESCAPED} Lee)",
        f"Experiment {ESCAPED}</a>",
        f"<li>Stage {ESCAPED} · Touchpoint {ESCAPED}: -2 (",  # the emotion curve's values as a list
    ):
        assert shown in html, shown


def test_card_parts_show_what_the_annotators_found(client_as, erin, hostile_map):
    journey_map, _stage, touchpoint, bare = hostile_map
    html = client_as(erin).get(reverse("journeys:map_detail", args=[journey_map.pk])).content.decode()
    card = html[html.index(f'id="tp-{touchpoint.pk}"') : html.index(f'id="tp-{bare.pk}"')]
    assert 'class="wm-tp wm-tp-moment"' in html
    assert "Moment that matters: first value" in card
    assert "Frustrated -2" in card and "wm-emotion-neg" in card
    assert "S4</span>" in card and "(fixing)" in card and "Fixed one" not in card  # fixed pains are off the card
    assert 'title="Response target in business hours">SLA 8 h (work hrs)</span>' in card
    assert "⚑ Departed owner" in card  # "gone" holds an ownership without being a member
    assert "· 8 h</p>" not in card and "hands off to <strong>Bare</strong>" in card
    assert "1 experiment</span>" in card and "concluded · ✓ supported · ship · v3</small>" in card
    assert 'data-testid="touchpoint-nps">33</strong> <small>n=3 · thin</small>' in card
    bare_card = html[html.index(f'id="tp-{bare.pk}"') :]
    assert "No metric yet" in bare_card and "⚠ No owner" in bare_card and "No feedback in 90 days" in bare_card
    assert "Stage feedback, last 90 days" in html  # the stage header's scores


def test_viewers_and_the_funnel_get_cards_without_move_buttons(client_as, erin, victor, hostile_map):
    journey_map, _stage, touchpoint, _bare = hostile_map
    url = reverse("journeys:map_detail", args=[journey_map.pk])
    editor = client_as(erin).get(url).content.decode()
    assert editor.count('class="wm-move"') == 2
    assert f'hx-vals=\'{{"direction": "left", "revision": "{journey_map.revision}"}}\'' in editor
    funnel = client_as(erin).get(url + "?layout=funnel").content.decode()
    assert 'class="wm-move"' not in funnel and f'id="tp-{touchpoint.pk}"' in funnel
    viewer = client_as(victor).get(url).content.decode()
    assert 'class="wm-move"' not in viewer and ': open details"' in viewer and "open details and edit" not in viewer


# The stage column as the map page's template wrote it before it was built in Python (map_detail.html
# at cb2bcf9, in a file of its own): ``stage_column_html`` must give the same bytes.
STAGE_COLUMN_TEMPLATE = Path(__file__).with_name("stage_column_before.html")


@pytest.mark.parametrize("language", ["en", "lv", "zh-hant"])
@pytest.mark.parametrize(
    "can_edit, present, filtered",
    [(True, False, False), (False, False, False), (False, True, False), (True, False, True), (False, False, True)],
)
def test_stage_column_is_the_templates_byte_for_byte(team_a, language, can_edit, present, filtered):
    from django.template import Context, Template
    from django.utils import translation
    from django.utils.safestring import mark_safe

    from journeys.cards import stage_column_html

    journey_map = JourneyMap.objects.create(team=team_a, title="Shop", revision=7)
    stages = []
    for i, name in enumerate([f"Stage {EVIL}", "Plain", "Last % 100"]):
        stage = Stage.objects.create(journey_map=journey_map, name=name, position=i)
        stage.cards = [object()] * (0 if i == 1 else i + 1)  # the middle one empty
        stage.cards_html = mark_safe("<article>cards</article>")  # both come built and escaped
        stage.parts = mark_safe("<div>parts</div>")
        stage.move_url, stage.inline_url = f"/move/{stage.pk}/?a=1&b=2", f"/inline/{stage.pk}/"
        stage.edit_url, stage.add_touchpoint_url = f"/edit/{stage.pk}/", f"/add/{stage.pk}/"
        stages.append(stage)
    template = Template(STAGE_COLUMN_TEMPLATE.read_text().rstrip("\n"))
    with translation.override(language):
        for i, stage in enumerate(stages):
            forloop = {"first": i == 0, "last": i == len(stages) - 1}
            options = {"channel": "email" if filtered else "", "moments_only": False}
            context = {"stage": stage, "forloop": forloop, "can_edit": can_edit, "present": present}
            expected = template.render(Context({**context, "options": options, "journey_map": journey_map}))
            built = stage_column_html(
                stage, can_edit=can_edit, present=present, first=i == 0, last=i == 2, filtered=filtered, revision=7
            )
            assert built == expected
    first = stage_column_html(
        stages[0], can_edit=True, present=False, first=True, last=False, filtered=False, revision=7
    )
    assert ESCAPED in first and EVIL not in first


def test_a_board_reads_its_language_once_and_card_parts_outside_a_board_read_the_active_one():
    from unittest import mock

    from django.utils import translation

    from journeys.extensions import board_language, card_language

    with translation.override("lv"):
        with board_language(), mock.patch("journeys.extensions.get_language", side_effect=AssertionError("again")):
            assert card_language() == "lv"
        assert card_language() == "lv"
        with translation.override("bg"):
            assert card_language() == "bg"


@pytest.mark.parametrize("language", ["en", "lv", "bg", "zh-hans", "zh-hant"])
def test_moment_kinds_on_cards_read_as_the_models_display(language):
    from html import escape

    from django.utils import translation

    from journeys.cards import _texts
    from journeys.models import MomentKind, Touchpoint

    with translation.override(language):
        kinds = _texts()["kinds"]
        for value in MomentKind.values:
            assert kinds[value] == escape(Touchpoint(moment_kind=value).get_moment_kind_display().lower())
