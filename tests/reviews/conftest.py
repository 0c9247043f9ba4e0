"""Review fixtures: a shop map with stages and a checkout touchpoint, published once."""

import datetime

import pytest
from django.utils import timezone

from feedback.models import Response, Survey
from journeys import services as journey_services
from journeys.models import Stage
from reviews import services


@pytest.fixture
def shop_map(team_a, erin):
    return journey_services.map_create(team=team_a, actor=erin, title="Online shop")


@pytest.fixture
def decision(shop_map):
    return Stage.objects.get(journey_map=shop_map, name="Decision")


@pytest.fixture
def checkout(decision, erin):
    return journey_services.touchpoint_create(stage=decision, actor=erin, revision=None, name="Checkout")


@pytest.fixture
def v1(shop_map, checkout, erin):
    shop_map.refresh_from_db()
    return journey_services.map_publish(journey_map=shop_map, actor=erin, note="First")


@pytest.fixture
def record(erin):
    """Record a review through the service (erin, the editor, by default)."""

    def do(journey_map, items=(), user=None, **fields):
        return services.review_record(
            journey_map=journey_map,
            actor=user or erin,
            action_items=[services.ActionItemInput(**item) for item in items],
            **fields,
        )

    return do


@pytest.fixture
def events(domain_events):
    """Collect the domain events sent during the test."""
    return domain_events


@pytest.fixture
def nps_answers(team_a, alice):
    """Store ``n`` NPS answers with ``promoters`` 10s and ``detractors`` 0s at a stage, at a time."""
    survey = Survey.objects.create(team=team_a, name="Stage NPS", kind="nps", status="active")
    counter = {"n": 0}

    def add(stage, *, n, promoters, detractors, at):
        rows = []
        for i in range(n):
            counter["n"] += 1
            score = 10 if i < promoters else 0 if i < promoters + detractors else 8
            rows.append(
                Response(
                    team=team_a,
                    survey=survey,
                    stage=stage,
                    submission_id=f"s{counter['n']}",
                    score=score,
                    metric="nps",
                    finished=True,
                    created_at=at,
                )
            )
        Response.objects.bulk_create(rows)

    return add


def days_ago(n: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=n)
