"""Webhook delivery: payloads, signatures, and each attempt's request, result and retry.

Each attempt of a delivery (created by ``webhooks.services``) is claimed by its number
(``attempts``), so a retry queued twice is still sent once.

A claim is a lease: it sets ``next_attempt_at`` to when the lease ends (``WEBHOOK_LEASE_SECONDS``).
If the worker dies mid-attempt, nothing clears it, and the periodic sweep finds the delivery due
again and makes the next attempt; a result that comes back after its lease was taken over is
dropped. Delivery is therefore at least once: a receiver may see a delivery twice (the first
attempt may have reached it before the worker died) and dedupes on ``Waymark-Delivery`` (the
payload's ``id``), which every attempt of a delivery repeats.

Every request goes only to a public address: the host is resolved, every address it resolves to
is checked, and the connection is made to the checked address (DNS cannot change between the
check and the connection). Redirects are not followed. ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` turns
the check off for receivers on a private network.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from teams.models import Membership, Role, Team

from .messages import message, render_english
from .models import WebhookDelivery, WebhookEndpoint
from .selectors import subscribed_events_forget

logger = logging.getLogger(__name__)

PAYLOAD_VERSION = 1
USER_AGENT = "Waymark-Webhooks/1"
SIGNATURE_HEADER = "Waymark-Signature"
MAX_RETRY_DELAY = timedelta(hours=6)
BACKOFF_FACTOR = 4
RESPONSE_EXCERPT_BYTES = 1024
MAX_ENDPOINTS_PER_TEAM = 20


# Addresses ------------------------------------------------------------------------------------


class UnsafeAddress(Exception):
    """The URL's host is, or resolves to, an address webhooks must not reach."""


def address_refusal(ip: str) -> str | None:
    """Return why ``ip`` may not be contacted, or None when it is a public address."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and 2002:7f00:1::/48 (6to4) reach IPv4 hosts: judge the IPv4 address.
        embedded = addr.ipv4_mapped or addr.sixtofour
        if embedded is not None:
            addr = embedded
    # One sentence per kind of address, so each language words it whole.
    for flag, sentence in (
        ("is_unspecified", _("%(address)s is an unspecified address")),
        ("is_loopback", _("%(address)s is a loopback address")),
        ("is_link_local", _("%(address)s is a link-local address")),
        ("is_multicast", _("%(address)s is a multicast address")),
        ("is_reserved", _("%(address)s is a reserved address")),
        ("is_private", _("%(address)s is a private address")),
    ):
        if getattr(addr, flag):
            return sentence % {"address": addr}
    if not addr.is_global:
        return _("%(address)s is not a public address") % {"address": addr}
    return None


def resolve_public(host: str, port: int) -> list[str]:
    """Return the addresses of ``host``; raise ``UnsafeAddress`` if any of them is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise UnsafeAddress(_("The host “%(host)s” cannot be resolved.") % {"host": host}) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UnsafeAddress(_("The host “%(host)s” cannot be resolved.") % {"host": host})
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            refusal = address_refusal(address)
            if refusal:
                raise UnsafeAddress(
                    _("Webhooks are not sent to %(host)s: %(reason)s.") % {"host": host, "reason": refusal}
                )
    return addresses


def url_check(url: str) -> tuple[str, str, int, str]:
    """Return ``(scheme, host, port, path)`` of a valid webhook URL, or raise ``ValidationError``."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError({"url": _("Enter a valid URL.")}) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": _("Enter an http:// or https:// URL with a host name.")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("Leave credentials out of the URL; verify the signature instead.")})
    if len(url) > 500:
        raise ValidationError({"url": _("Keep the URL under 500 characters.")})
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def url_validate(url: str) -> str:
    """Return the cleaned URL if webhooks may be sent to it (resolving its host now)."""
    _, host, port, _ = url_check(url)
    try:
        resolve_public(host, port)
    except UnsafeAddress as exc:
        raise ValidationError({"url": str(exc)}) from exc
    return url.strip()


# Payloads -------------------------------------------------------------------------------------


def build_payload(*, delivery_id: uuid.UUID, event: str, team: Team, data: dict) -> dict:
    """Return the versioned JSON document sent for one event."""
    return {
        "id": str(delivery_id),
        "event": event,
        "version": PAYLOAD_VERSION,
        "created_at": timezone.now().isoformat().replace("+00:00", "Z"),
        "team": {"id": team.pk, "slug": team.slug, "name": team.name},
        # Normalise UUIDs, dates and decimals to their JSON form once, when the event happens.
        "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
    }


# Signing and sending ------------------------------------------------------------------------


def payload_body(payload: dict) -> bytes:
    """Return the exact bytes sent (and signed) for a payload."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under the endpoint's secret."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret=secret, timestamp=timestamp, body=body)}"


def verify_signature(*, secret: str, header: str, body: bytes, tolerance: int = 300, now: int | None = None) -> bool:
    """Return whether ``header`` signs ``body`` under ``secret`` within ``tolerance`` seconds."""
    try:
        fields = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or int(time.time())) - timestamp) > tolerance:
        return False
    expected = sign(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, fields.get("v1", ""))


@dataclass
class SendResult:
    ok: bool
    status: int | None = None
    excerpt: str = ""
    duration_ms: int = 0
    error: str = ""
    message: dict = field(default_factory=dict)

    @classmethod
    def failed(cls, code: str, *, status: int | None = None, excerpt: str = "", duration_ms: int = 0, **params):
        """Return a failure whose error is the text ``code`` (webhooks/messages.py), stored in English."""
        if status is not None:
            params["status"] = status
        stored = message(code, **params)
        return cls(
            ok=False,
            status=status,
            excerpt=excerpt,
            duration_ms=duration_ms,
            error=render_english(stored)[:500],
            message=stored,
        )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connect to an address checked beforehand, whatever the host name resolves to now."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # Verify the certificate against the host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def send(*, url: str, headers: dict[str, str], body: bytes) -> SendResult:
    """POST ``body`` to ``url`` once: to a public address only, no redirects, within the time-out."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        scheme, host, port, path = url_check(url)
        address = resolve_public(host, port)[0]
    except ValidationError as exc:
        return SendResult(ok=False, error=exc.messages[0], duration_ms=elapsed())
    except UnsafeAddress as exc:
        return SendResult(ok=False, error=str(exc), duration_ms=elapsed())
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, timeout=settings.WEBHOOK_TIMEOUT)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT_BYTES).decode("utf-8", errors="replace")
        status = response.status
    except TimeoutError:
        return SendResult.failed("timeout", seconds=settings.WEBHOOK_TIMEOUT, duration_ms=elapsed())
    except ssl.SSLError as exc:
        return SendResult.failed("tls", detail=str(exc.reason or exc)[:400], duration_ms=elapsed())
    except (OSError, http.client.HTTPException) as exc:
        detail = f"{exc.__class__.__name__}: {exc}"[:400]
        return SendResult.failed("connection", detail=detail, duration_ms=elapsed())
    finally:
        connection.close()
    if 200 <= status < 300:
        return SendResult(ok=True, status=status, excerpt=excerpt, duration_ms=elapsed())
    code = "redirect" if 300 <= status < 400 else "status"
    return SendResult.failed(code, status=status, excerpt=excerpt, duration_ms=elapsed())


def retry_delay(attempt: int) -> timedelta:
    """Return how long to wait after failed attempt number ``attempt`` (1, 4, 16 … minutes, at most 6 h)."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * BACKOFF_FACTOR ** (attempt - 1)
    return min(timedelta(seconds=seconds), MAX_RETRY_DELAY)


def delivery_headers(delivery: WebhookDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Waymark-Event": delivery.event,
        "Waymark-Delivery": str(delivery.id),
        SIGNATURE_HEADER: signature_header(secret=delivery.endpoint.secret, timestamp=timestamp, body=body),
    }


def webhook_delivery_attempt(*, delivery_id, attempt: int) -> timedelta | None:
    """Make attempt number ``attempt`` of a delivery; return the delay before the next one, if any.

    The attempt is claimed by its number first, so the same attempt queued twice (a retry and the
    sweep) is sent once; the claim is a lease that the sweep takes over once it has run out. No
    database transaction is held open while the request is in flight.
    """
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        attempts=attempt - 1,
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
    ).update(attempts=attempt, last_attempt_at=now, next_attempt_at=now + timedelta(seconds=lease_seconds()))
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint__team").get(pk=delivery_id)
    endpoint = delivery.endpoint
    # One attempt more than the maximum is allowed, for an attempt whose worker died; past that the
    # delivery fails, so a receiver that brings down every worker cannot keep it going forever.
    if attempt > _max_attempts(delivery) + 1:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
        _set_error(delivery, message("interrupted", attempt=attempt - 1))
        delivery.save(update_fields=["status", "next_attempt_at", "error", "error_message"])
        return None
    if not endpoint.is_active and not delivery.is_manual:
        delivery.status = WebhookDelivery.Status.FAILED
        _set_error(delivery, message("endpoint_disabled"))
        delivery.save(update_fields=["status", "error", "error_message"])
        return None

    body = payload_body(delivery.payload)
    result = send(url=endpoint.url, headers=delivery_headers(delivery, body, int(time.time())), body=body)
    return _record_result(delivery, result, attempt)


def lease_seconds() -> int:
    """How long a claimed attempt may take before the sweep makes the next one."""
    return settings.WEBHOOK_LEASE_SECONDS


def _max_attempts(delivery: WebhookDelivery) -> int:
    return 1 if delivery.is_manual else settings.WEBHOOK_MAX_ATTEMPTS


@transaction.atomic
def _record_result(delivery: WebhookDelivery, result: SendResult, attempt: int) -> timedelta | None:
    now = timezone.now()
    still_ours = (
        WebhookDelivery.objects.select_for_update()
        .filter(
            pk=delivery.pk,
            attempts=attempt,
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
        )
        .exists()
    )
    if not still_ours:
        # The lease ran out and the sweep made the next attempt (or the endpoint was disabled
        # meanwhile): that attempt's outcome is the one to keep.
        logger.warning("webhook delivery %s: result of attempt %s came after its lease; dropped", delivery.pk, attempt)
        return None
    delivery.response_code = result.status
    delivery.response_excerpt = result.excerpt
    delivery.duration_ms = result.duration_ms
    delivery.error = result.error[:500]
    delivery.error_message = result.message
    fields = ["status", "response_code", "response_excerpt", "duration_ms", "error", "error_message", "next_attempt_at"]
    endpoint = delivery.endpoint
    if result.ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.next_attempt_at = None
        delivery.save(update_fields=fields)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_count=0, last_success_at=now)
        return None

    delay = retry_delay(attempt) if attempt < _max_attempts(delivery) else None
    delivery.status = WebhookDelivery.Status.RETRYING if delay else WebhookDelivery.Status.FAILED
    delivery.next_attempt_at = now + delay if delay else None
    delivery.save(update_fields=fields)
    if delivery.is_manual:
        return None
    # Only automatic deliveries count towards disabling: an admin's test says nothing new.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_count=F("failure_count") + 1, last_failure_at=now)
    endpoint.refresh_from_db(fields=["failure_count", "is_active"])
    if endpoint.is_active and endpoint.failure_count >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        reason = message("disabled_after_failures", count=endpoint.failure_count)
        if result.message:
            reason["params"]["error"] = result.message
        _disable(endpoint, reason=reason, cause=result.error)
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "next_attempt_at"])
        return None
    return delay


def _set_error(delivery: WebhookDelivery, stored: dict) -> None:
    delivery.error = render_english(stored)[:500]
    delivery.error_message = stored


def _disable(endpoint: WebhookEndpoint, *, reason: dict, cause: str) -> None:
    endpoint.is_active = False
    english = render_english(reason)
    if not reason["params"].get("error"):
        # An error without a code (a refused address): its English text follows as it is.
        english = f"{english} {cause}".strip()
    endpoint.disabled_reason = english[:300]
    endpoint.disabled_message = reason
    endpoint.disabled_at = timezone.now()
    endpoint.save(update_fields=["is_active", "disabled_reason", "disabled_message", "disabled_at", "updated_at"])
    subscribed_events_forget(endpoint.team_id)
    # Deliveries waiting for a retry will not be sent any more.
    not_sent = message("endpoint_was_disabled")
    endpoint.deliveries.filter(status=WebhookDelivery.Status.RETRYING).update(
        status=WebhookDelivery.Status.FAILED,
        next_attempt_at=None,
        error=render_english(not_sent),
        error_message=not_sent,
    )
    transaction.on_commit(lambda: _notify_disabled(endpoint.pk))


def _notify_disabled(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("team").get(pk=endpoint_id)
    emails = list(
        Membership.objects.filter(team_id=endpoint.team_id, role=Role.ADMIN)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not emails:
        return
    path = reverse("webhooks:detail", args=[endpoint.team.slug, endpoint.pk])
    # The admins read it in their team's language (the worker has no request to take one from).
    with translation.override(endpoint.team.language or settings.LANGUAGE_CODE):
        subject = _("[Waymark] Webhook disabled: %(url)s") % {"url": endpoint.url}
        stopped = _("Waymark stopped sending events of %(team)s to %(url)s.") % {
            "team": endpoint.team.name,
            "url": endpoint.url,
        }
        fix = _("Fix the receiver, then enable the endpoint again and replay what it missed: %(path)s") % {"path": path}
        body = f"{stopped}\n\n{endpoint.disabled_reason_text}\n\n{fix}\n"
    send_mail(subject=subject, message=body, from_email=None, recipient_list=emails, fail_silently=True)
    logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, endpoint.disabled_reason)
