"""Survey answers and follow-ups on a customer's profile timeline (registered with customers).

Answers carry a respondent id, not a profile key: an answer is the person's when its respondent id
equals one of the profile's identifiers (user id, anonymous ids, aliases) in the same team, as for
erasure and export (``privacy``). Follow-ups appear when they were opened.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.utils.translation import gettext as _

from customers.extensions import TimelineCursor, TimelineItem
from customers.models import Identity

from .models import FollowUp, Response


def _values(identifiers) -> list[str]:
    return sorted({value for _kind, value in identifiers if value})


def profile_items(profile, *, identifiers, before: TimelineCursor | None, limit: int) -> list[TimelineItem]:
    """Return the profile's newest ``limit`` answers and follow-ups after ``before`` (two queries)."""
    values = _values(identifiers)
    if not values:
        return []
    responses = (
        Response.objects.filter(team_id=profile.team_id, respondent_id__in=values)
        .exclude(respondent_id="")
        .select_related("survey")
        .order_by("-created_at", "-id")
    )
    follow_ups = (
        FollowUp.objects.filter(team_id=profile.team_id, response__respondent_id__in=values)
        .select_related("response__survey")
        .order_by("-created_at", "-id")
    )
    if before is not None:
        responses = responses.filter(before.q("response", "created_at"))
        follow_ups = follow_ups.filter(before.q("followup", "created_at"))
    items = [
        TimelineItem(
            "response",
            response.created_at,
            _("%(survey)s: %(score)s") % {"survey": response.survey.name, "score": response.score}
            if response.score is not None
            else response.survey.name,
            {
                "id": response.pk,
                "survey": response.survey_id,
                "survey_name": response.survey.name,
                "score": response.score,
                "metric": response.metric,
                "respondent_id": response.respondent_id,
                "channel": response.channel,
                "finished": response.finished,
            },
            id=response.pk,
        )
        for response in responses[:limit]
    ]
    items += [
        TimelineItem(
            "followup",
            follow_up.created_at,
            _("Follow-up on %(survey)s (%(status)s)")
            % {"survey": follow_up.response.survey.name, "status": follow_up.get_status_display()},
            {
                "id": follow_up.pk,
                "response": follow_up.response_id,
                "status": follow_up.status,
                "owner": follow_up.owner_id,
                "due_at": follow_up.due_at,
                "closed_at": follow_up.closed_at,
            },
            id=follow_up.pk,
        )
        for follow_up in follow_ups[:limit]
    ]
    return items


def with_profile(responses: QuerySet[Response]) -> QuerySet[Response]:
    """Annotate each answer with ``profile_id``: the profile holding its respondent id, where one does.

    A user id wins over an anonymous id or an alias with the same text (one indexed lookup a row).
    """
    kind_order = Case(
        When(kind=Identity.Kind.USER_ID, then=Value(0)),
        When(kind=Identity.Kind.ANONYMOUS_ID, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    holder = (
        Identity.objects.filter(team_id=OuterRef("team_id"), value=OuterRef("respondent_id"))
        .exclude(value="")
        .annotate(kind_order=kind_order)
        .order_by("kind_order")
        .values("profile_id")[:1]
    )
    return responses.annotate(profile_id=Subquery(holder, output_field=IntegerField()))
