"""Survey answers and follow-ups on a customer's timeline, paged across sources; responses name their profile."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.extensions import TimelineCursor
from customers.models import Event, Profile, StageTransition
from customers.selectors import profile_timeline
from customers.services import events_ingest, source_create
from feedback import services
from feedback.models import FollowUp, Response
from feedback.validation import parse_submission

T0 = timezone.now().replace(microsecond=0) - timedelta(days=3)


@pytest.fixture
def source(team_a, alice):
    return source_create(team=team_a, actor=alice, name="Shop", kind="web")[0]


def _answer(survey, score, respondent_id, at, n):
    data = {"submission_id": f"sub-{n:08d}", "answers": {"score": score}, "respondent_id": respondent_id}
    response = services.response_submit(survey=survey, submission=parse_submission(data))[0]
    Response.objects.filter(pk=response.pk).update(created_at=at)
    FollowUp.objects.filter(response=response).update(created_at=at + timedelta(minutes=1))
    return response


@pytest.fixture
def ana(source, survey, checkout_owned, decision, shop_map, team_b):
    """Ana: 8 events, 3 stage changes (two at an event's very time), 4 answers (2 low: follow-ups)."""
    items = [
        {"type": "identify", "userId": "ana", "anonymousId": "dev-1", "messageId": "id", "timestamp": T0.isoformat()}
    ]
    items += [
        {
            "type": "track",
            "event": f"Step {i}",
            "userId": "ana",
            "messageId": f"e{i}",
            "timestamp": (T0 + timedelta(hours=i)).isoformat(),
        }
        for i in range(1, 8)
    ]
    events_ingest(source=source, items=items, received_at=timezone.now())
    profile = Profile.objects.get(user_id="ana")
    for hours in (2, 5, 6):  # a stage entered at the event's time: a tie across sources
        StageTransition.objects.create(
            team_id=profile.team_id,
            profile=profile,
            journey_map=shop_map,
            to_stage=decision,
            entered_at=T0 + timedelta(hours=hours),
        )
    # Answers under the user id and under the anonymous id; one exactly at an event's time.
    _answer(survey, 3, "ana", T0 + timedelta(hours=3), 1)
    _answer(survey, 9, "dev-1", T0 + timedelta(hours=4), 2)
    _answer(survey, 2, "dev-1", T0 + timedelta(hours=5), 3)
    _answer(survey, 10, "ana", T0 + timedelta(hours=6, minutes=30), 4)
    # Not hers: another respondent, an anonymous answer.
    _answer(survey, 1, "bo", T0 + timedelta(hours=4), 5)
    _answer(survey, 8, "", T0 + timedelta(hours=4), 6)
    return profile


def expected_keys(profile):
    """The whole timeline computed independently from the rows: (time, kind, id), newest first."""
    keys = [(e.timestamp, "event", e.pk) for e in Event.objects.filter(identity__profile=profile)]
    keys += [(t.entered_at, "stage", t.pk) for t in StageTransition.objects.filter(profile=profile)]
    answers = Response.objects.filter(respondent_id__in=["ana", "dev-1"])
    keys += [(r.created_at, "response", r.pk) for r in answers]
    keys += [(f.created_at, "followup", f.pk) for f in FollowUp.objects.filter(response__in=answers)]
    return sorted(keys, reverse=True)


def test_timeline_interleaves_events_stages_answers_and_follow_ups(ana):
    items = profile_timeline(profile=ana)
    assert [(item.at, item.kind, item.id) for item in items] == expected_keys(ana)
    kinds = [item.kind for item in items]
    assert kinds.count("event") == 8 and kinds.count("stage") == 3
    assert kinds.count("response") == 4 and kinds.count("followup") == 2
    low = next(item for item in items if item.kind == "followup")
    assert low.title == "Follow-up on Checkout NPS (Open)"
    assert next(item for item in items if item.kind == "response").title == "Checkout NPS: 10"


@pytest.mark.parametrize("page_size", [1, 2, 3, 5, 7])
def test_paging_by_cursor_returns_every_item_once_in_order(ana, page_size):
    expected = expected_keys(ana)
    assert len(expected) > page_size
    seen, before = [], None
    for _ in range(len(expected) + 1):
        page = profile_timeline(profile=ana, before=before, limit=page_size)
        if not page:
            break
        assert len(page) <= page_size
        seen += [(item.at, item.kind, item.id) for item in page]
        before = TimelineCursor.parse(page[-1].cursor)
    assert seen == expected


def test_api_pages_with_the_items_cursor_and_still_takes_a_time(api_as, victor, ana):
    client = api_as(victor)
    url = f"/api/v1/profiles/{ana.pk}/timeline/"
    seen, params = [], {"limit": 4}
    while True:
        response = client.get(url, params)
        assert response.status_code == 200
        page = response.json()
        if not page:
            break
        seen += [(item["kind"], item["id"]) for item in page]
        params = {"limit": 4, "before": page[-1]["cursor"]}
    assert seen == [(kind, pk) for _at, kind, pk in expected_keys(ana)]

    cut = (T0 + timedelta(hours=5)).isoformat()
    older = client.get(url, {"before": cut}).json()
    assert older and all(item["at"] < cut.replace("+00:00", "Z") for item in older)
    assert {item["kind"] for item in older} == {"event", "stage", "response", "followup"}
    assert client.get(url, {"before": "soon"}).status_code == 400
    assert client.get(url, {"before": "2026-01-01T00:00:00Z~event~x"}).status_code == 400


def test_timeline_queries_do_not_grow_with_answers(api_as, victor, ana, survey, django_assert_max_num_queries):
    client = api_as(victor)
    url = f"/api/v1/profiles/{ana.pk}/timeline/"
    with django_assert_max_num_queries(12) as captured:
        client.get(url)
    baseline = len(captured.captured_queries)
    for n in range(10, 30):
        _answer(survey, 1, "ana", T0 + timedelta(hours=1, minutes=n), n)
    expected = len(expected_keys(ana))
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert len(response.json()) == expected == 57


def test_profile_page_shows_answers_in_the_timeline(client_as, victor, ana):
    body = client_as(victor).get(reverse("customers:profile_detail", args=[ana.pk])).content.decode()
    assert '<span class="wm-badge">Answer</span> Checkout NPS: 9' in body
    assert '<span class="wm-badge">Follow-up</span> Follow-up on Checkout NPS (Open)' in body


def test_responses_api_names_the_profile_of_the_respondent(api_as, victor, ana):
    rows = api_as(victor).get("/api/v1/responses/", {"limit": 100}).json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    profiles = {row["respondent_id"]: row["profile"] for row in rows}
    assert profiles == {"ana": ana.pk, "dev-1": ana.pk, "bo": None, "": None}
    one = next(row for row in rows if row["respondent_id"] == "dev-1")
    assert api_as(victor).get(f"/api/v1/responses/{one['id']}/").json()["profile"] == ana.pk


def test_another_teams_identity_does_not_link_an_answer(api_as, victor, oscar, team_b, survey, submit):
    source_b = source_create(team=team_b, actor=oscar, name="B", kind="web")[0]
    events_ingest(source=source_b, items=[{"type": "track", "event": "x", "userId": "zed"}], received_at=timezone.now())
    submit(survey, {"score": 9}, respondent_id="zed")
    rows = api_as(victor).get("/api/v1/responses/").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert [(row["respondent_id"], row["profile"]) for row in rows] == [("zed", None)]
