"""Customer pages: sources (setup and the key shown once), profiles (search) and a profile's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from teams.access import get_object_for_user, has_role, require_role
from teams.htmx import form_flow, render_page_or_partial, team_required
from teams.models import Role

from . import selectors, services
from .filters import ProfileFilter
from .forms import SourceForm
from .models import Profile, Source

PAGE_SIZE = 50


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
@team_required
def profile_list(request: HttpRequest) -> HttpResponse:
    """Search the team's profiles by id, trait and stage."""
    team = request.team
    profiles = selectors.profile_list(user=request.user, team=team)
    filterset = ProfileFilter(request.GET, queryset=profiles)
    results = filterset.qs if filterset.is_valid() else profiles.none()
    page = Paginator(results.order_by("-last_seen_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"team": team, "filter": filterset, "page": page, "profiles": page.object_list}
    return render_page_or_partial(request, "customers/profile_list.html", "profile-results", context)


@login_required
@require_GET
def profile_detail(request: HttpRequest, profile_pk: int) -> HttpResponse:
    """One person: identities, traits, current stages, merges and the timeline."""
    profile = get_object_for_user(Profile, request.user, pk=profile_pk)
    if profile.merged_into_id is not None:
        return redirect("customers:profile_detail", profile.merged_into_id)
    context = {
        "team": profile.team,
        "profile": profile,
        **selectors.profile_details(profile),
        "timeline": selectors.profile_timeline(profile=profile, limit=100),
    }
    return render(request, "customers/profile_detail.html", context)
