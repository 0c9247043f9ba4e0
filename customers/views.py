"""Customer pages: sources (setup and the key shown once), profiles (search) and a profile's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys.models import JourneyMap
from teams.access import get_object_for_user, has_role, require_role
from teams.htmx import form_flow, hx_redirect, render_page_or_partial, team_required
from teams.middleware import follow_team
from teams.models import Role, Team

from . import overlay, selectors, services
from .extensions import TimelineCursor
from .filters import ProfileFilter
from .forms import ErasureForm, PrivacySettingsForm, SourceForm, UnmappedAddForm
from .models import PrivacySettings, Profile, Source

PAGE_SIZE = 50
TIMELINE_PAGE = 100


@login_required
@require_http_methods(["GET", "POST"])
@team_required
def source_list(request: HttpRequest) -> HttpResponse:
    """The team's sources with setup instructions; admins create them (the key is shown once)."""
    team = request.team
    form = SourceForm(request.POST or None)

    def section(status: int, source_form=form, created_key=None) -> HttpResponse:
        context = {
            "team": team,
            "form": source_form,
            "sources": selectors.source_list(user=request.user, team=team),
            "created_key": created_key,
            "is_admin": has_role(request.user, team.pk, Role.ADMIN),
            "host": request.build_absolute_uri("/").rstrip("/"),
            "recent": selectors.event_list(user=request.user, team=team).select_related("source")[:20],
        }
        return render_page_or_partial(request, "customers/sources.html", "source-section", context, status=status)

    return form_flow(
        request,
        form,
        role=(team.pk, Role.ADMIN),
        save=lambda data: services.source_create(team=team, actor=request.user, name=data["name"], kind=data["kind"]),
        render=section,
        message=lambda made: (
            _("Source “%(name)s” created. Copy its write key now: it is not shown again.") % {"name": made[0].name}
        ),
        respond=lambda made: section(200, SourceForm(), made[1]),
    )


@login_required
@require_POST
def source_revoke(request: HttpRequest, source_pk: int) -> HttpResponse:
    source = get_object_for_user(Source, request.user, pk=source_pk)
    require_role(request.user, source.team_id, Role.ADMIN)
    services.source_revoke(source=source, actor=request.user)
    messages.success(
        request, _("Source “%(name)s” revoked; events sent with its key now get 401.") % {"name": source.name}
    )
    return redirect("customers:source_list")


@login_required
@require_GET
def source_detail(request: HttpRequest, source_pk: int) -> HttpResponse:
    """The source's live debugger: its last events and refusals (the HTMX part polls every 5 s)."""
    source = get_object_for_user(Source, request.user, pk=source_pk)
    context = {
        "source": source,
        # By id (the insertion order): the primary key's index finds the newest rows of a large
        # table at once, where sorting by receipt time would read all of the source's events.
        "recent": source.events.order_by("-id")[:20],
        "refusals": selectors.refusal_list(source=source),
    }
    return render_page_or_partial(request, "customers/source_detail.html", "debugger", context)


# --- the tracking plan: unmapped events ------------------------------------------------------------


def _unmapped_page(request: HttpRequest, journey_map: JourneyMap, *, status: int = 200, form=None) -> HttpResponse:
    days = overlay.period_days(request.GET.get("days"))
    context = {
        "journey_map": journey_map,
        "days": days,
        "periods": overlay.PERIODS,
        "unmapped": selectors.unmapped_events(journey_map=journey_map, days=days),
        "stages": list(journey_map.stages.order_by("position", "id")),
        "can_edit": has_role(request.user, journey_map.team_id, Role.EDITOR),
        "form": form,
    }
    return render_page_or_partial(request, "customers/unmapped.html", "unmapped-results", context, status=status)


@login_required
@require_GET
def unmapped_events(request: HttpRequest, map_pk: int) -> HttpResponse:
    """Event names and page paths of the period that no tracking rule of the map binds."""
    journey_map = get_object_for_user(JourneyMap, request.user, pk=map_pk)
    return _unmapped_page(request, journey_map)


@login_required
@require_POST
def unmapped_add(request: HttpRequest, map_pk: int) -> HttpResponse:
    """Add an unmapped event as a touchpoint of the chosen stage, with its tracking rule (editors)."""
    journey_map = get_object_for_user(JourneyMap, request.user, pk=map_pk)
    form = UnmappedAddForm(request.POST, journey_map=journey_map)
    back = reverse("customers:unmapped_events", args=[journey_map.pk])
    if request.GET.get("days"):
        back += f"?days={overlay.period_days(request.GET['days'])}"
    return form_flow(
        request,
        form,
        role=(journey_map.team_id, Role.EDITOR),
        save=lambda data: services.touchpoint_from_event(actor=request.user, journey_map=journey_map, **data),
        render=lambda status: _unmapped_page(request, journey_map, status=status, form=form),
        message=lambda made: (
            _("Touchpoint “%(name)s” added to %(stage)s, with its tracking rule.")
            % {"name": made[0].name, "stage": made[0].stage.name}
        ),
        redirect_to=back,
    )


@login_required
@require_GET
@team_required
def profile_list(request: HttpRequest) -> HttpResponse:
    """Search the team's profiles by id, trait and stage."""
    team = request.team
    profiles = selectors.profile_list(user=request.user, team=team)
    filterset = ProfileFilter(request.GET, queryset=profiles)
    results = filterset.qs if filterset.is_valid() else profiles.none()
    results = results.select_related("persona").order_by("-last_seen_at", "-id")
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "team": team,
        "filter": filterset,
        "page": page,
        "profiles": page.object_list,
        "personas": selectors.persona_choices(team=team),
    }
    return render_page_or_partial(request, "customers/profile_list.html", "profile-results", context)


@login_required
@require_GET
def profile_detail(request: HttpRequest, profile_pk: int) -> HttpResponse:
    """One person: identities, traits, current stages, merges and the timeline."""
    profile = get_object_for_user(Profile, request.user, pk=profile_pk)
    if profile.merged_into_id is not None:
        return redirect("customers:profile_detail", profile.merged_into_id)
    follow_team(request, profile.team_id)
    # ?before=<an item's cursor> pages back through the timeline (an unreadable one starts at the top).
    before = TimelineCursor.parse(request.GET.get("before", ""))
    timeline = selectors.profile_timeline(profile=profile, before=before, limit=TIMELINE_PAGE)
    context = {
        "team": profile.team,
        "profile": profile,
        "persona": profile.persona,
        **selectors.profile_details(profile),
        "timeline": timeline,
        "older": timeline[-1].cursor if len(timeline) == TIMELINE_PAGE else None,
        "can_erase": has_role(request.user, profile.team_id, Role.ADMIN),
    }
    return render(request, "customers/profile_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@team_required
def privacy(request: HttpRequest) -> HttpResponse:
    """The team's privacy settings (admins change them), erasure by user id, and past erasures."""
    team = request.team
    form = PrivacySettingsForm(request.POST or None, instance=PrivacySettings.for_team(team))
    return form_flow(
        request,
        form,
        role=(team.pk, Role.ADMIN),
        save=lambda data: services.privacy_settings_update(
            actor=request.user,
            team=team,
            store_full_ip=data["store_full_ip"],
            consent_category=data["consent_category"],
            retention_days=data["retention_days"],
        ),
        render=lambda status: _privacy_page(request, team, form=form, erasure_form=ErasureForm(), status=status),
        message=_("Privacy settings saved."),
        redirect_to=reverse("customers:privacy"),
    )


def _privacy_page(request: HttpRequest, team, *, form, erasure_form, status: int = 200) -> HttpResponse:
    context = {
        "team": team,
        "form": form,
        "erasure_form": erasure_form,
        "is_admin": has_role(request.user, team.pk, Role.ADMIN),
        "erasures": selectors.erasure_list(user=request.user, team=team)[:50],
    }
    return render(request, "customers/privacy.html", context, status=status)


@login_required
@require_POST
def profile_erase(request: HttpRequest) -> HttpResponse:
    """Erase the person with the user id given (team admins); the page lists the erasure.

    The team is the current one, or ``team`` when posted (the profile page names its profile's
    team, so a team switched in another tab cannot redirect the erasure).
    """
    team = (
        get_object_for_user(Team, request.user, pk=request.POST["team"]) if request.POST.get("team") else request.team
    )
    if team is None:
        raise Http404
    follow_team(request, team.pk)
    require_role(request.user, team.pk, Role.ADMIN)
    form = ErasureForm(request.POST)
    if not form.is_valid():
        form_settings = PrivacySettingsForm(instance=PrivacySettings.for_team(team))
        return _privacy_page(request, team, form=form_settings, erasure_form=form, status=400)
    erasure = services.profile_erase(actor=request.user, team=team, user_id=form.cleaned_data["user_id"])
    if erasure.total:
        messages.success(
            request,
            _("Erased. Profiles: %(profiles)d, events: %(events)d, survey answers: %(answers)d.")
            % {
                "profiles": erasure.counts.get("profiles", 0),
                "events": erasure.counts.get("events", 0),
                "answers": erasure.counts.get("responses", 0),
            },
        )
    else:
        messages.success(request, _("Nothing is kept under this id; the erasure is recorded, with nothing to delete."))
    return hx_redirect(request, reverse("customers:privacy"))


@login_required
@require_GET
def profile_export(request: HttpRequest, profile_pk: int) -> StreamingHttpResponse:
    """Download everything kept about the person as one JSON document."""
    profile = get_object_for_user(Profile, request.user, pk=profile_pk)
    return export_response(profile)


def export_response(profile: Profile) -> StreamingHttpResponse:
    """Stream the profile's export as a JSON download (the page and the API answer the same)."""
    response = StreamingHttpResponse(selectors.profile_export(profile), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="profile-{profile.pk}.json"'
    return response
