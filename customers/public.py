"""The Segment HTTP tracking API: ``POST /v1/{track,identify,page,screen,group,alias,batch}``.

Existing SDKs (analytics.js / analytics-next, segment-analytics-python, RudderStack and Jitsu
destinations) send here by changing only their host. Anonymous (the write key authenticates),
CSRF-exempt, sessionless, open to every origin (write keys are public in a browser, as in
Segment), rate-limited per source. Every answer is JSON; a request is acknowledged only after its
events are committed.
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.db import DatabaseError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from teams import local_cache, ratelimit

from . import ingest, services
from .models import PrivacySettings, Source

logger = logging.getLogger(__name__)


def _answer(status: int, body: dict) -> JsonResponse:
    return JsonResponse(body, status=status)


def _error(status: int, code: str, message: str, **extra) -> JsonResponse:
    # ``code`` and ``message``: what Segment's SDKs read from an error; ``detail`` and ``errors``:
    # Waymark's own error shape.
    return _answer(
        status,
        {"success": False, "code": code, "message": message, "detail": message, "errors": {}, **extra},
    )


def cors_origin_allowed(sender, request: HttpRequest, **kwargs) -> bool:
    """Let django-cors-headers answer every origin on the tracking API (``check_request_enabled``)."""
    return request.path_info.startswith("/v1/")


def _rate_limited(source: Source) -> int:
    """Count the request against its source's ``CUSTOMERS_SOURCE_RATE_LIMIT``; return the seconds to
    wait when over it, else 0 (counted per process while the shared cache is unreachable).

    Counted in the process and reconciled with the other processes by ``teams.shared_state``'s
    background sync (``hit_local``), so a request makes no Redis round trip for it; the processes
    together may let through a little more than the limit in the last sync interval of a window.
    """
    limit, period = ratelimit.parse_rate(settings.CUSTOMERS_SOURCE_RATE_LIMIT)
    return ratelimit.hit_local(f"customers:{source.pk}", limit, period) or 0


# Each process keeps the sources it has seen, with their team and privacy settings, so a tracking
# call reads none of them; saving or deleting a source or a team's privacy settings bumps the
# shared version and every process reloads within a sync (a revoked key is refused everywhere
# within about 0.2-0.4 s).
SOURCES = "customers.sources"
_sources = local_cache.LocalCache(SOURCES, ttl=30.0)


@receiver([post_save, post_delete], sender=Source, dispatch_uid="customers_sources_changed")
@receiver([post_save, post_delete], sender=PrivacySettings, dispatch_uid="customers_privacy_changed")
def _sources_changed(sender, **kwargs):
    local_cache.bump(SOURCES)


def _load_source(prefix: str) -> Source | None:
    # With the team's privacy settings, which every event is checked against (one query).
    return Source.objects.select_related("team__customer_privacy").filter(prefix=prefix).first()


def _source_for(raw_key: str) -> Source | None:
    prefix = Source.prefix_of(raw_key)
    if prefix is None:
        return None
    source = _sources.get(prefix, lambda: _load_source(prefix))
    if source is None or not source.is_active:
        return None
    return source if hmac.compare_digest(source.hashed_key, Source.hash(raw_key)) else None


@csrf_exempt
def tracking_call(request: HttpRequest, call: str) -> HttpResponse:
    """Receive one Segment call (``call`` is its type, or ``batch``)."""
    call = ingest.SHORT_PATHS.get(call, call)
    if request.method == "OPTIONS":
        return HttpResponse(status=204)
    if request.method != "POST":
        response = _error(405, "method_not_allowed", _("Send the events with POST."))
        response["Allow"] = "POST, OPTIONS"
        return response
    return _receive(request, call)


def _receive(request: HttpRequest, call: str) -> HttpResponse:
    try:
        return _receive_checked(request, call)
    except DatabaseError:
        # Nothing was stored (the transaction rolled back: a deadlock between merges, a database
        # restart): say so in JSON, and SDKs retry a 5xx with the same messageIds.
        logger.exception("customers: storing events failed")
        response = _error(503, "unavailable", _("The events could not be stored; nothing was stored. Retry."))
        response["Retry-After"] = "1"
        return response


def _receive_checked(request: HttpRequest, call: str) -> HttpResponse:
    received_at = timezone.now()
    limit = ingest.MAX_BATCH_BYTES if call == "batch" else ingest.MAX_EVENT_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    # A compressed body may be smaller than what it unpacks to; this only spares reading a huge one.
    if length > limit * 4 and length > ingest.MAX_BATCH_BYTES:
        return _error(413, "too_large", _("The body is larger than %(limit)d KB.") % {"limit": limit // 1024})
    try:
        raw = request.read(max(limit * 4, ingest.MAX_BATCH_BYTES) + 1)
        body = ingest.read_body(raw, content_encoding=request.headers.get("Content-Encoding", ""), limit=limit)
        data = ingest.parse_json(body)
    except ingest.RequestRefused as refused:
        return _error(refused.status, refused.code, refused.message)

    raw_key = ingest.write_key_from(request.headers.get("Authorization", ""), data)
    if not raw_key:
        return _error(401, "missing_write_key", _("Send the write key as the HTTP Basic user or as writeKey."))
    source = _source_for(raw_key)
    if source is None:
        return _error(401, "invalid_write_key", _("This write key is unknown or revoked."))
    wait = _rate_limited(source)
    if wait:
        response = _error(
            429, "rate_limited", _("Too many requests for this source; retry after %(s)d s.") % {"s": wait}
        )
        response["Retry-After"] = str(wait)
        return response

    try:
        outer_sent_at = ingest._time(data.get("sentAt"), "sentAt")
    except ingest.EventRefused as refused:
        _record(source, received_at, [_refusal(refused.code, refused.message, refused.field, data)])
        return _error(400, refused.code, refused.message, field=refused.field)
    text_checked = ingest.text_is_storable(body)
    if call == "batch":
        items = data.get("batch")
        if not isinstance(items, list):
            message = _("batch must be a list of events.")
            _record(source, received_at, [_refusal("invalid_batch", message, "batch", data)])
            return _error(400, "invalid_batch", message, field="batch")
        if not items:
            return _answer(200, {"success": True, "received": 0, "stored": 0, "duplicates": 0, "refused": []})
        outer_context = data.get("context") if isinstance(data.get("context"), dict) else None
        result = services.events_ingest(
            source=source,
            items=items,
            received_at=received_at,
            outer_context=outer_context,
            outer_sent_at=outer_sent_at,
            text_checked=text_checked,
        )
        _record(source, received_at, [{**r, "payload": items[r["index"]]} for r in result.refused])
    else:
        item = {key: value for key, value in data.items() if key != "writeKey"}
        result = services.events_ingest(
            source=source, items=[item], received_at=received_at, type_=call, text_checked=text_checked
        )
        if result.refused:
            refused = result.refused[0]
            _record(source, received_at, [{**refused, "payload": item}])
            return _error(400, refused["code"], refused["message"], field=refused["field"])
        return _answer(200, {"success": True})

    body = {
        "success": not result.refused,
        "received": result.received,
        "stored": result.stored,
        "duplicates": result.duplicates,
        "refused": result.refused,
    }
    if result.refused and result.stored + result.duplicates == 0:
        message = _("No event of the batch was valid.")
        return _answer(400, {**body, "code": "invalid_batch", "message": message, "detail": message, "errors": {}})
    return _answer(200, body)


def _refusal(code: str, message: str, field: str, payload) -> dict:
    message_id = payload.get("messageId") if isinstance(payload, dict) else None
    return {"code": code, "message": message, "field": field, "messageId": message_id, "payload": payload}


def _record(source: Source, received_at, refusals: list[dict]) -> None:
    """Show the refusals on the source's live debugger (``services.refusals_record``)."""
    if refusals:
        services.refusals_record(source=source, received_at=received_at, refusals=refusals)


@csrf_exempt
def unknown_path(request: HttpRequest) -> HttpResponse:
    return _error(404, "not_found", _("No such tracking call."))
