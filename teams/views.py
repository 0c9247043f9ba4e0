"""Team pages: the home page, switching team, creating a team, members and API keys."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .access import get_object_for_user, has_role, require_role
from .forms import ApiKeyForm, InviteForm, LanguageForm, RoleForm, TeamForm
from .htmx import form_flow, hx_redirect, render_page_or_partial, team_required
from .languages import SESSION_KEY as LANGUAGE_SESSION_KEY
from .middleware import follow_team
from .models import ApiKey, Membership, Role, Team


def safe_next_url(request: HttpRequest, default: str) -> str:
    """The ``next`` of the request when it points into this site, else ``default`` (no open redirect)."""
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    allowed = {request.get_host()}
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts=allowed, require_https=request.is_secure()):
        return nxt
    return default


@login_required
@require_GET
@team_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "teams/home.html", {"team": request.team})


@login_required
@require_POST
def team_switch(request: HttpRequest) -> HttpResponse:
    team = get_object_for_user(Team, request.user, pk=request.POST.get("team", ""))
    follow_team(request, team.pk)
    messages.success(request, gettext("You are working in %(team)s.") % {"team": team.name})
    return hx_redirect(request, safe_next_url(request, reverse("home")))


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)

    def save(data):
        team = services.team_create(name=data["name"], accent_color=data["accent_color"], actor=request.user)
        request.memberships = list(Membership.objects.filter(user=request.user).select_related("team"))
        follow_team(request, team.pk)
        return team

    return form_flow(
        request,
        form,
        save=save,
        render=lambda status: render(request, "teams/team_form.html", {"form": form}, status=status),
        message=lambda team: gettext("Team %(team)s created. Invite your colleagues next.") % {"team": team.name},
        redirect_to=lambda team: reverse("teams:members", args=[team.slug]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_settings(request: HttpRequest, team_slug: str) -> HttpResponse:
    team = get_object_for_user(Team, request.user, slug=team_slug)
    follow_team(request, team.pk)
    form = TeamForm(request.POST or None, instance=team)
    return form_flow(
        request,
        form,
        role=(team.pk, Role.ADMIN),
        save=lambda data: services.team_update(team=team, actor=request.user, **data),
        render=lambda status: render(request, "teams/team_settings.html", {"team": team, "form": form}, status=status),
        message=gettext("Team settings saved."),
        redirect_to=reverse("teams:settings", args=[team.slug]),
    )


def _members_context(request: HttpRequest, team: Team, invite_form=None) -> dict:
    members = Membership.objects.filter(team=team).select_related("user").order_by("user__username")
    return {
        "team": team,
        "members": members,
        "invite_form": invite_form or InviteForm(),
        "roles": Role.choices,
        "is_admin": role_is_admin(request, team),
    }


def _role_name(role: str) -> str:
    """The role as a word of the sentence: "editor" in English, the role's translated name elsewhere."""
    return str(Role(role).label).lower()


def role_is_admin(request: HttpRequest, team: Team) -> bool:
    return has_role(request.user, team.pk, Role.ADMIN)


@login_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, team_slug: str) -> HttpResponse:
    """List members; admins invite an existing user by username or email (POST)."""
    team = get_object_for_user(Team, request.user, slug=team_slug)
    follow_team(request, team.pk)
    form = InviteForm(request.POST or None)

    def section(status: int, invite_form=form) -> HttpResponse:
        context = _members_context(request, team, invite_form)
        return render_page_or_partial(request, "teams/members.html", "member-section", context, status=status)

    def respond(membership) -> HttpResponse:
        if not request.htmx:
            return redirect("teams:members", team.slug)
        return section(200, InviteForm())

    return form_flow(
        request,
        form,
        role=(team.pk, Role.ADMIN),
        save=lambda data: services.membership_add(
            team=team, actor=request.user, identifier=data["identifier"], role=data["role"]
        ),
        render=lambda status: section(status, form if request.method == "POST" else None),
        message=lambda membership: (
            gettext("%(user)s joined %(team)s as %(role)s.")
            % {"user": membership.user.username, "team": team.name, "role": _role_name(membership.role)}
        ),
        respond=respond,
        rename={"user": "identifier"},
    )


@login_required
@require_POST
def member_role(request: HttpRequest, team_slug: str, membership_pk: int) -> HttpResponse:
    team = get_object_for_user(Team, request.user, slug=team_slug)
    membership = get_object_for_user(
        Membership.objects.select_related("user"), request.user, pk=membership_pk, team=team
    )
    require_role(request.user, team.pk, Role.ADMIN)
    form = RoleForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.membership_change_role(membership=membership, actor=request.user, role=form.cleaned_data["role"])
            messages.success(
                request,
                gettext("%(user)s is now %(role)s.")
                % {"user": membership.user.username, "role": _role_name(membership.role)},
            )
        except ValidationError as exc:
            error = exc.messages[0]
            membership.refresh_from_db()
    else:
        error = gettext("Choose a valid role.")
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("teams:members", team.slug)
    if error:
        messages.error(request, error)
    context = _members_context(request, team)
    return render(request, "teams/members.html#member-section", context)


@login_required
@require_POST
def member_remove(request: HttpRequest, team_slug: str, membership_pk: int) -> HttpResponse:
    team = get_object_for_user(Team, request.user, slug=team_slug)
    membership = get_object_for_user(
        Membership.objects.select_related("user"), request.user, pk=membership_pk, team=team
    )
    require_role(request.user, team.pk, Role.ADMIN)
    try:
        services.membership_remove(membership=membership, actor=request.user)
        messages.success(
            request,
            gettext("%(user)s was removed from %(team)s.") % {"user": membership.user.username, "team": team.name},
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    if membership.user_id == request.user.id:
        return hx_redirect(request, reverse("home"))
    if not request.htmx:
        return redirect("teams:members", team.slug)
    return render(request, "teams/members.html#member-section", _members_context(request, team))


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest, team_slug: str) -> HttpResponse:
    """Team admins list, create (the key is shown once) and revoke API keys."""
    team = get_object_for_user(Team, request.user, slug=team_slug)
    follow_team(request, team.pk)
    require_role(request.user, team.pk, Role.ADMIN)
    form = ApiKeyForm(request.POST or None)

    def section(status: int, key_form=form, created_key=None) -> HttpResponse:
        context = {
            "team": team,
            "form": key_form,
            "keys": ApiKey.objects.filter(team=team).select_related("created_by"),
            "created_key": created_key,
        }
        return render_page_or_partial(request, "teams/api_keys.html", "key-section", context, status=status)

    return form_flow(
        request,
        form,
        save=lambda data: services.api_key_create(
            team=team, actor=request.user, name=data["name"], scope=data["scope"]
        ),
        render=section,
        message=lambda made: (
            gettext("Key “%(name)s” created. Copy it now: it is not shown again.") % {"name": made[0].name}
        ),
        respond=lambda made: section(200, ApiKeyForm(), made[1]),
    )


@login_required
@require_POST
def api_key_revoke(request: HttpRequest, team_slug: str, key_pk: int) -> HttpResponse:
    team = get_object_for_user(Team, request.user, slug=team_slug)
    key = get_object_for_user(ApiKey, request.user, pk=key_pk, team=team)
    require_role(request.user, team.pk, Role.ADMIN)
    services.api_key_revoke(api_key=key, actor=request.user)
    messages.success(request, gettext("Key “%(name)s” revoked; requests with it now get 401.") % {"name": key.name})
    if not request.htmx:
        return redirect("teams:api_keys", team.slug)
    context = {"team": team, "form": ApiKeyForm(), "keys": ApiKey.objects.filter(team=team), "created_key": None}
    return render(request, "teams/api_keys.html#key-section", context)


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Choose the interface's language: kept with a signed-in person, and in a cookie for the login page."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        codes = ", ".join(code for code, _name in settings.LANGUAGES)
        return HttpResponseBadRequest(gettext("language: choose one of %(codes)s.") % {"codes": codes})
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.user_language_set(actor=request.user, language=language)
        request.session[LANGUAGE_SESSION_KEY] = language
    nxt = request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        nxt = reverse("home")
    response = hx_redirect(request, nxt)
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=request.is_secure(),
            httponly=True,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response
