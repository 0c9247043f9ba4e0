"""Survey answers in customers' erasure and export: they are kept under the respondent's id.

Answers are not linked to profiles by a key yet; a respondent id equal to one of the profile's
identifiers (its user id, anonymous ids, aliases) is the person's.
"""

from __future__ import annotations

from .models import Display, Response


def erase(*, team_id: int, identifiers: list[str]) -> dict[str, int]:
    """Delete the answers (with their follow-ups and themes) and displays of these respondents."""
    responses = Response.objects.filter(team_id=team_id, respondent_id__in=identifiers)
    _total, deleted = responses.delete()
    _total, displays = Display.objects.filter(team_id=team_id, respondent_id__in=identifiers).delete()
    return {
        "responses": deleted.get("feedback.Response", 0),
        "follow_ups": deleted.get("feedback.FollowUp", 0),
        "displays": displays.get("feedback.Display", 0),
    }


def export(*, team_id: int, identifiers: list[str]) -> dict[str, list]:
    """Return these respondents' answers and follow-ups, ready for JSON."""
    responses = (
        Response.objects.filter(team_id=team_id, respondent_id__in=identifiers)
        .select_related("survey", "follow_up")
        .order_by("created_at", "id")
    )
    answers, follow_ups = [], []
    for response in responses:
        answers.append(
            {
                "id": response.pk,
                "survey": response.survey_id,
                "survey_name": response.survey.name,
                "respondent_id": response.respondent_id,
                "score": response.score,
                "metric": response.metric,
                "answers": response.answers,
                "channel": response.channel,
                "locale": response.locale,
                "page_url": response.page_url,
                "created_at": response.created_at,
            }
        )
        follow_up = getattr(response, "follow_up", None)
        if follow_up is not None:
            follow_ups.append(
                {
                    "id": follow_up.pk,
                    "response": response.pk,
                    "status": follow_up.status,
                    "due_at": follow_up.due_at,
                    "notes": follow_up.notes,
                    "created_at": follow_up.created_at,
                    "closed_at": follow_up.closed_at,
                }
            )
    return {"survey_responses": answers, "follow_ups": follow_ups}
