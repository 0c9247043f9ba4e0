"""Team admins' webhook pages: endpoints, their delivery log, replay and test events."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from teams.access import get_object_for_user, require_role
from teams.htmx import form_flow, hx_redirect, render_page_or_partial
from teams.middleware import follow_team
from teams.models import Role, Team

from . import services
from .delivery import payload_body
from .models import WEBHOOK_TEST_EVENT, WebhookDelivery, WebhookEndpoint, WebhookEvent

DELIVERIES_PER_PAGE = 25


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=_("Endpoint URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where Waymark POSTs the events, e.g. https://hooks.example.com/waymark."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("What receives them, for your team."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )


class WebhookEndpointEditForm(WebhookEndpointForm):
    is_active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("Enabling an endpoint again clears its failure count.")
    )


def _team_for_admin(request: HttpRequest, team_slug: str) -> Team:
    team = get_object_for_user(Team, request.user, slug=team_slug)
    follow_team(request, team.pk)
    require_role(request.user, team.pk, Role.ADMIN)
    return team


def _endpoint_for_admin(request: HttpRequest, team_slug: str, endpoint_pk: int) -> tuple[Team, WebhookEndpoint]:
    team = get_object_for_user(Team, request.user, slug=team_slug)
    follow_team(request, team.pk)
    endpoint = get_object_for_user(WebhookEndpoint, request.user, pk=endpoint_pk, team=team)
    require_role(request.user, team.pk, Role.ADMIN)
    return team, endpoint


@login_required
@require_http_methods(["GET", "POST"])
def webhooks_list(request: HttpRequest, team_slug: str) -> HttpResponse:
    """List the team's endpoints; register a new one (POST)."""
    team = _team_for_admin(request, team_slug)
    form = WebhookEndpointForm(request.POST or None)

    def page(status: int) -> HttpResponse:
        endpoints = WebhookEndpoint.objects.filter(team=team).order_by("-created_at")
        context = {"team": team, "form": form, "endpoints": endpoints, "events": WebhookEvent.choices}
        return render_page_or_partial(request, "webhooks/webhooks.html", "register-form", context, status=status)

    return form_flow(
        request,
        form,
        save=lambda data: services.webhook_endpoint_register(team=team, actor=request.user, **data),
        render=page,
        message=gettext("Endpoint registered. Copy its signing secret to verify deliveries."),
        redirect_to=lambda endpoint: reverse("webhooks:detail", args=[team.slug, endpoint.pk]),
    )


def _deliveries(request: HttpRequest, endpoint: WebhookEndpoint):
    deliveries = endpoint.deliveries.select_related("replay_of").order_by("-created_at")
    status = request.GET.get("status", "")
    event = request.GET.get("event", "")
    if status in WebhookDelivery.Status.values:
        deliveries = deliveries.filter(status=status)
    if event:
        deliveries = deliveries.filter(event=event)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return page, {"status": status, "event": event}


@login_required
@require_GET
def webhook_detail(request: HttpRequest, team_slug: str, endpoint_pk: int) -> HttpResponse:
    """The endpoint and its delivery log (filterable by status and event; polled while sending)."""
    team, endpoint = _endpoint_for_admin(request, team_slug, endpoint_pk)
    page, filters = _deliveries(request, endpoint)
    context = {
        "team": team,
        "endpoint": endpoint,
        "page": page,
        "filters": filters,
        "statuses": WebhookDelivery.Status.choices,
        "events": [*WebhookEvent.values, WEBHOOK_TEST_EVENT],
        "any_pending": any(d.status == WebhookDelivery.Status.PENDING for d in page),
    }
    return render_page_or_partial(request, "webhooks/webhooks_detail.html", "delivery-log", context)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, team_slug: str, endpoint_pk: int) -> HttpResponse:
    team, endpoint = _endpoint_for_admin(request, team_slug, endpoint_pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "is_active": endpoint.is_active,
    }
    form = WebhookEndpointEditForm(request.POST or None, initial=initial)
    return form_flow(
        request,
        form,
        save=lambda data: services.webhook_endpoint_update(endpoint=endpoint, actor=request.user, **data),
        render=lambda status: render(
            request, "webhooks/webhooks_form.html", {"team": team, "endpoint": endpoint, "form": form}, status=status
        ),
        message=gettext("Endpoint saved."),
        redirect_to=reverse("webhooks:detail", args=[team.slug, endpoint.pk]),
    )


@login_required
@require_POST
def webhook_delete(request: HttpRequest, team_slug: str, endpoint_pk: int) -> HttpResponse:
    team, endpoint = _endpoint_for_admin(request, team_slug, endpoint_pk)
    services.webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, gettext("Endpoint %(url)s deleted with its delivery log.") % {"url": endpoint.url})
    return hx_redirect(request, reverse("webhooks:list", args=[team.slug]))


@login_required
@require_POST
def webhook_rotate_secret(request: HttpRequest, team_slug: str, endpoint_pk: int) -> HttpResponse:
    team, endpoint = _endpoint_for_admin(request, team_slug, endpoint_pk)
    services.webhook_endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
    messages.success(request, gettext("New signing secret made; the old one no longer signs deliveries."))
    return hx_redirect(request, reverse("webhooks:detail", args=[team.slug, endpoint.pk]))


@login_required
@require_POST
def webhook_send_test(request: HttpRequest, team_slug: str, endpoint_pk: int) -> HttpResponse:
    team, endpoint = _endpoint_for_admin(request, team_slug, endpoint_pk)
    delivery = services.webhook_endpoint_send_test(endpoint=endpoint, actor=request.user)
    delivery.refresh_from_db()
    _report(request, delivery, pgettext("webhook message", "Test event"))
    return hx_redirect(request, reverse("webhooks:detail", args=[team.slug, endpoint.pk]))


def _report(request: HttpRequest, delivery: WebhookDelivery, what: str) -> None:
    if delivery.status == WebhookDelivery.Status.SUCCEEDED:
        messages.success(
            request, gettext("%(what)s delivered (%(code)s).") % {"what": what, "code": delivery.response_code}
        )
    elif delivery.status == WebhookDelivery.Status.PENDING:
        messages.success(request, gettext("%(what)s queued.") % {"what": what})
    else:
        messages.error(request, gettext("%(what)s failed: %(error)s") % {"what": what, "error": delivery.error_text})


@login_required
@require_GET
def webhook_delivery(request: HttpRequest, team_slug: str, endpoint_pk: int, delivery_pk) -> HttpResponse:
    """One delivery: its payload, the headers it was sent with, and the receiver's answer."""
    team, endpoint = _endpoint_for_admin(request, team_slug, endpoint_pk)
    delivery = get_object_for_user(
        WebhookDelivery.objects.select_related("replay_of"), request.user, pk=delivery_pk, endpoint=endpoint
    )
    context = {
        "team": team,
        "endpoint": endpoint,
        "delivery": delivery,
        "body": payload_body(delivery.payload).decode(),
        "replays": delivery.replays.order_by("-created_at"),
    }
    return render(request, "webhooks/webhooks_delivery.html", context)


@login_required
@require_POST
def webhook_delivery_replay(request: HttpRequest, team_slug: str, endpoint_pk: int, delivery_pk) -> HttpResponse:
    team, endpoint = _endpoint_for_admin(request, team_slug, endpoint_pk)
    delivery = get_object_for_user(WebhookDelivery, request.user, pk=delivery_pk, endpoint=endpoint)
    replay = services.webhook_delivery_replay(delivery=delivery, actor=request.user)
    replay.refresh_from_db()
    _report(request, replay, pgettext("webhook message", "Replay"))
    return hx_redirect(request, reverse("webhooks:detail", args=[team.slug, endpoint.pk]))
