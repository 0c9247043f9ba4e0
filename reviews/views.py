"""Review pages: the team dashboard, the review status of maps, a map's agenda and its one-form
record, recorded reviews, action items, the team's review settings and the digest unsubscribe link."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys.models import JourneyMap
from teams.access import get_object_for_user, get_object_for_write, has_role, require_role
from teams.htmx import form_flow, hx_redirect, render_page_or_partial, team_required
from teams.middleware import follow_team
from teams.models import Role
from teams.views import safe_next_url

from . import selectors, services
from .forms import (
    ActionItemFilter,
    ActionItemRowForm,
    ReviewForm,
    ReviewSettingsForm,
    ReviewStatusFilter,
    link_choices,
)
from .models import ActionItem, Review

PAGE_SIZE = 50
NEW_ROWS = 2


@login_required
@require_GET
@team_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The team home: maps and their health, feedback, owners' load, experiments, reviews due."""
    board = selectors.dashboard_for(request.user, request.team)
    return render(
        request,
        "reviews/dashboard.html",
        {"team": request.team, "board": board, "can_edit": has_role(request.user, request.team.pk, Role.EDITOR)},
    )


@login_required
@require_GET
@team_required
def review_list(request: HttpRequest) -> HttpResponse:
    """The maps of the current team with their last review; filter maps not reviewed since a date."""
    team = request.team
    form = ReviewStatusFilter(request.GET or None)
    since = due_only = None
    if form.is_valid():
        since = form.cleaned_data["not_reviewed_since"]
        due_only = form.cleaned_data["due"]
    review_settings = selectors.settings_for(team)
    today = timezone.localdate()
    maps = selectors.decorate_due(
        selectors.maps_with_review_status(request.user, team=team, not_reviewed_since=since),
        review_settings.review_cadence_days,
        today,
    )
    if due_only:
        maps = [m for m in maps if m.due_this_week]
    recent = selectors.review_list(user=request.user).filter(journey_map__team=team).order_by("-date", "-id")[:10]
    context = {
        "team": team,
        "form": form,
        "maps": maps,
        "filtered": bool(since or due_only),
        "team_has_maps": JourneyMap.objects.for_team(team).exists(),
        "recent_reviews": recent,
        "settings": review_settings,
    }
    return render_page_or_partial(request, "reviews/review_list.html", "map-status", context)


def _rows_from_post(request: HttpRequest, journey_map: JourneyMap, links: list) -> list[ActionItemRowForm]:
    keys = [k for k in request.POST.getlist("rows") if k.isalnum() and len(k) <= 32][: services.MAX_ACTION_ITEMS + 1]
    return [ActionItemRowForm(request.POST, prefix=f"item-{k}", journey_map=journey_map, links=links) for k in keys]


def _blank_rows(journey_map: JourneyMap, links: list, n: int = NEW_ROWS) -> list[ActionItemRowForm]:
    return [
        ActionItemRowForm(prefix=f"item-{uuid.uuid4().hex[:8]}", journey_map=journey_map, links=links) for _ in range(n)
    ]


def _agenda_context(request: HttpRequest, journey_map: JourneyMap, form=None, rows=None) -> dict:
    agenda = selectors.agenda_for(journey_map)
    links = link_choices(journey_map)
    if form is None:
        form = ReviewForm(
            journey_map=journey_map,
            carried_over=agenda.carried_over,
            initial={
                "facilitator": request.user.pk,
                "attendees": [request.user.pk],
                "map_version": agenda.latest_version.pk if agenda.latest_version else None,
            },
        )
    return {
        "journey_map": journey_map,
        "agenda": agenda,
        "form": form,
        "rows": rows if rows is not None else _blank_rows(journey_map, links),
        "can_edit": has_role(request.user, journey_map.team_id, Role.EDITOR),
        "history": selectors.review_list(user=request.user)
        .filter(journey_map=journey_map)
        .order_by("-date", "-id")[:8],
    }


@login_required
@require_http_methods(["GET", "POST"])
def map_review(request: HttpRequest, map_pk: int) -> HttpResponse:
    """A map's agenda since its last review; POST records the review and its action items at once."""
    queryset = JourneyMap.objects.select_related("team", "persona")
    if request.method == "GET":
        journey_map = get_object_for_user(queryset, request.user, pk=map_pk)
        follow_team(request, journey_map.team_id)
        return render(request, "reviews/map_review.html", _agenda_context(request, journey_map))

    journey_map = get_object_for_write(queryset, request.user, pk=map_pk)
    agenda = selectors.agenda_for(journey_map)
    links = link_choices(journey_map)
    form = ReviewForm(request.POST, journey_map=journey_map, carried_over=agenda.carried_over)
    rows = _rows_from_post(request, journey_map, links)
    checked = [row.is_valid() for row in rows]  # every row, so each shows its errors
    rows_valid = all(checked)

    def save(data):
        if not rows_valid:
            raise ValidationError({})  # the rows carry their own errors
        return services.review_record(
            journey_map=journey_map,
            actor=request.user,
            date=data["date"],
            kind=data["kind"],
            facilitator=data["facilitator"],
            attendees=data["attendees"],
            notes=data["notes"],
            decisions=data["decisions"],
            map_version=data["map_version"],
            action_items=[row.to_input() for row in rows if not row.is_blank],
            close_items=data["close_items"],
        )

    def recorded(review) -> str:
        n = review.action_items.count()
        return ngettext(
            "Review recorded with %(n)d action item. They carry over until done.",
            "Review recorded with %(n)d action items. They carry over until done.",
            n,
        ) % {"n": n}

    return form_flow(
        request,
        form,
        save=save,
        render=lambda status: render_page_or_partial(
            request,
            "reviews/map_review.html",
            "record-form",
            _agenda_context(request, journey_map, form=form, rows=rows or _blank_rows(journey_map, links, 1)),
            status=status,
        ),
        message=recorded,
        redirect_to=lambda review: review.get_absolute_url(),
    )


@login_required
@require_GET
def action_row(request: HttpRequest, map_pk: int) -> HttpResponse:
    """Return one more blank action-item row for the review form."""
    journey_map = get_object_for_user(JourneyMap, request.user, pk=map_pk)
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    row = _blank_rows(journey_map, link_choices(journey_map), 1)[0]
    return render(request, "reviews/map_review.html#action-row", {"row": row, "focus": True})


@login_required
@require_GET
def review_detail(request: HttpRequest, review_pk: int) -> HttpResponse:
    """The minutes of a recorded review: who came, notes, decisions and its action items."""
    review = selectors.review_get(user=request.user, pk=review_pk)
    follow_team(request, review.journey_map.team_id)
    return render(
        request,
        "reviews/review_detail.html",
        {
            "review": review,
            "journey_map": review.journey_map,
            "items": list(review.action_items.all()),
            "can_edit": has_role(request.user, review.journey_map.team_id, Role.EDITOR),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def review_delete(request: HttpRequest, review_pk: int) -> HttpResponse:
    review = get_object_for_write(Review.objects.select_related("journey_map"), request.user, pk=review_pk)
    journey_map = review.journey_map
    services.review_delete(review=review, actor=request.user)
    messages.success(
        request,
        gettext("The review of %(date)s and its action items were deleted.")
        % {"date": date_format(review.date, "j M Y")},
    )
    return hx_redirect(request, reverse("reviews:map_review", args=[journey_map.pk]))


@login_required
@require_GET
@team_required
def action_item_list(request: HttpRequest) -> HttpResponse:
    """The team's action items: open, overdue or done, everyone's or only mine."""
    team = request.team
    form = ActionItemFilter(request.GET or None)
    show, mine = "open", False
    if form.is_valid():
        show = form.cleaned_data["show"] or "open"
        mine = form.cleaned_data["mine"]
    today = timezone.localdate()
    items = selectors.action_item_list(user=request.user).filter(review__journey_map__team=team)
    if show == "open":
        items = items.filter(done=False)
    elif show == "overdue":
        items = items.overdue(today)
    elif show == "done":
        items = items.filter(done=True).order_by("-done_at")
    if mine:
        items = items.filter(owner=request.user)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "team": team,
        "form": form,
        "page": page,
        "items": page.object_list,
        "show": show,
        "mine": mine,
        "today": today,
        "can_edit": has_role(request.user, team.pk, Role.EDITOR),
        "team_has_items": ActionItem.objects.for_team(team).exists(),
    }
    return render_page_or_partial(request, "reviews/action_items.html", "item-results", context)


@login_required
@require_POST
def action_item_toggle(request: HttpRequest, item_pk: int) -> HttpResponse:
    """Mark an action item done, or open again."""
    item = get_object_for_write(ActionItem.objects.select_related("review__journey_map"), request.user, pk=item_pk)
    done = request.POST.get("done", "1" if not item.done else "0") == "1"
    item = services.action_item_set_done(item=item, actor=request.user, done=done)
    item = selectors.action_item_list(user=request.user).get(pk=item.pk)
    messages.success(
        request,
        (gettext("“%(title)s” done.") if item.done else gettext("“%(title)s” open again.")) % {"title": item.title},
    )
    if not request.htmx:
        return redirect(safe_next_url(request, reverse("reviews:action_items")))
    return render(
        request,
        "reviews/_action_item.html",
        {"item": item, "can_edit": True, "today": timezone.localdate(), "show_map": request.POST.get("show_map")},
    )


@login_required
@require_http_methods(["GET", "POST"])
@team_required
def review_settings(request: HttpRequest) -> HttpResponse:
    """The team's review cadence and weekly digest schedule; admins change them."""
    team = request.team
    form = ReviewSettingsForm(request.POST or None, instance=selectors.settings_for(team))
    context = {"team": team, "form": form, "is_admin": has_role(request.user, team.pk, Role.ADMIN)}
    return form_flow(
        request,
        form,
        role=(team.pk, Role.ADMIN),
        save=lambda data: services.review_settings_update(
            team=team, actor=request.user, **{name: data[name] for name in ReviewSettingsForm.Meta.fields}
        ),
        render=lambda status: render(request, "reviews/settings.html", context, status=status),
        message=gettext("Review settings saved."),
        redirect_to=reverse("reviews:settings"),
    )


# Reached from an email without signing in: the signed token is the authority. A GET only shows
# the choice (mail scanners prefetch links); a POST changes it, including RFC 8058 one-click posts.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user = services.user_from_unsubscribe_token(token)
    if user is None:
        return render(request, "reviews/unsubscribe.html", {"invalid": True}, status=404)
    preference = getattr(user, "digest_preference", None)
    subscribed = preference is None or not preference.unsubscribed
    changed = False
    if request.method == "POST":
        subscribed = request.POST.get("action") == "subscribe"
        services.digest_subscription_set(actor=user, subscribed=subscribed)
        changed = True
    return render(
        request,
        "reviews/unsubscribe.html",
        {"token": token, "subscribed": subscribed, "changed": changed, "person": user},
    )
