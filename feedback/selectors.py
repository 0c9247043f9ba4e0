"""Reads of the feedback app for pages and the API, scoped and prefetched."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import FollowUp, Question, Response, ResponseTheme, Survey, Theme
from .stats import map_scores


def surveys_for(user, team=None) -> QuerySet[Survey]:
    """Return the surveys the user may read (of ``team`` when given), with their placement and counts."""
    queryset = Survey.objects.for_user(user).select_related("touchpoint__stage__journey_map", "team")
    if team is not None:
        queryset = queryset.filter(team=team)
    return queryset.annotate(
        response_count=Count("responses", distinct=True),
        question_count=Count("questions", distinct=True),
    )


def survey_with_questions(queryset: QuerySet[Survey]) -> QuerySet[Survey]:
    return queryset.select_related("touchpoint__stage__journey_map", "team").prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("position", "id"))
    )


def responses_for(user) -> QuerySet[Response]:
    return (
        Response.objects.for_user(user)
        .select_related("survey", "touchpoint", "stage")
        .prefetch_related(Prefetch("response_themes", queryset=ResponseTheme.objects.select_related("theme")))
    )


def followups_for(user) -> QuerySet[FollowUp]:
    return FollowUp.objects.for_user(user).select_related("owner", "touchpoint__stage__journey_map", "response__survey")


def themes_for(user, team=None) -> QuerySet[Theme]:
    queryset = Theme.objects.for_user(user)
    if team is not None:
        queryset = queryset.filter(team=team)
    return queryset.annotate(response_count=Count("response_themes"))


def open_followup_counts(user) -> dict:
    row = FollowUp.objects.filter(owner=user).aggregate(
        open=Count("id", filter=Q(status__in=["open", "acknowledged"])),
        overdue=Count("id", filter=Q(status__in=["open", "acknowledged"], breached_at__isnull=False)),
    )
    return row


def annotate_map_scores(journey_map, stages: list, touchpoints: list) -> None:
    """Set ``scores`` (NPS/CSAT/CES of the last 90 days) on each stage and touchpoint: two queries."""
    by_touchpoint, by_stage = map_scores([s.pk for s in stages], [t.pk for t in touchpoints])
    for touchpoint in touchpoints:
        touchpoint.scores = by_touchpoint.get(touchpoint.pk)
    for stage in stages:
        stage.scores = by_stage.get(stage.pk)
