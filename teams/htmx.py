"""The UI's shared HTMX helpers: one form flow, one page-or-fragment choice, one "no team" answer.

Every app's views use these, so a form behaves the same everywhere:

- ``form_flow``: validate → call the service → on ``ValidationError`` put its messages next to
  the fields → on success a message (a toast) and ``hx_redirect``. An invalid form answers
  **400**, on HTMX requests and full page loads alike (``INVALID_FORM_STATUS``): the JS swaps
  400/409/422 into the page, a browser shows the re-rendered form either way, and a client or a
  test tells a refused form from a shown one by the status alone.
- ``render_page_or_partial``: the page, or its ``{% partialdef %}`` fragment on HTMX requests.
- ``team_required``: a page that works in the current team shows "You are not in a team yet"
  (with a link to create one) to a person who has none; an HTMX request is sent there.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from .access import require_role

INVALID_FORM_STATUS = 400


def hx_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect a full page load with a 302 and an HTMX request with ``HX-Redirect``."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def add_form_errors(form, exc: ValidationError, rename: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form, next to the field it names where it can."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            field = (rename or {}).get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def render_page_or_partial(
    request: HttpRequest, template: str, partial: str, context: dict, status: int = 200
) -> HttpResponse:
    """Render ``template``, or only its ``partial`` (``{% partialdef %}``) when HTMX asks."""
    name = f"{template}#{partial}" if getattr(request, "htmx", False) else template
    return render(request, name, context, status=status)


def _value(value, result):
    return value(result) if callable(value) else value


def form_flow(
    request: HttpRequest,
    form,
    *,
    save: Callable[[dict], Any],
    render: Callable[[int], HttpResponse],
    role: tuple[int, str] | None = None,
    message: str | Callable[[Any], str] | None = None,
    redirect_to: str | Callable[[Any], str] | None = None,
    respond: Callable[[Any], HttpResponse] | None = None,
    rename: dict[str, str] | None = None,
    catch: tuple[type[Exception], ...] = (),
    on_error: Callable[[Exception], int] | None = None,
) -> HttpResponse:
    """Run a form: on GET ``render(200)``; on POST validate, ``save(cleaned_data)`` and answer.

    ``role`` is ``(team_id, role)`` a POST needs before the form is even read (404 outside the
    team, 403 below the role), so a viewer's write is a 403 whatever the form holds.

    ``save`` calls the service and returns what it made. A ``ValidationError`` from it lands on
    the form (``rename`` maps a service's field name to the form's) and the form answers
    ``INVALID_FORM_STATUS``, or ``on_error(exc)`` when given (e.g. 409 for a stale revision);
    the exceptions in ``catch`` (a map's ``MapConflict``) go to ``on_error`` alone. On
    success, ``message`` becomes a toast and the answer is ``respond(result)`` or an
    ``hx_redirect`` to ``redirect_to``; either may be a function of the result.
    """
    if request.method != "POST":
        return render(200)
    if role is not None:
        require_role(request.user, *role)
    status = INVALID_FORM_STATUS
    if form.is_valid():
        try:
            result = save(form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc, rename)
            if on_error is not None:
                status = on_error(exc)
        except catch as exc:
            status = on_error(exc)
        else:
            if message:
                messages.success(request, _value(message, result))
            if respond is not None:
                return respond(result)
            return hx_redirect(request, _value(redirect_to, result))
    return render(status)


def team_required(view: Callable[..., HttpResponse] | None = None, *, role: str | None = None):
    """Answer a person without a current team with the "not in a team yet" page, not the view.

    ``@team_required(role=Role.EDITOR)`` also needs that role in the current team, for any method
    (a page that only makes things, such as "new map").
    """
    if view is None:
        return lambda wrapped: team_required(wrapped, role=role)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if getattr(request, "team", None) is None:
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(reverse("home"))
            return render(request, "teams/no_team.html")
        if role is not None:
            require_role(request.user, request.team.pk, role)
        return view(request, *args, **kwargs)

    return wrapper
