"""Reading Segment tracking calls: the body, the write key, each event's checks and its times.

Pure functions, no database: ``services.events_ingest`` stores what ``message_from`` returns.
The rules follow Segment's HTTP tracking API so its SDKs need no change: 32 KB per event and 500 KB
per batch, the outer ``context`` of a batch merged into each item, and
``timestamp = receivedAt − (sentAt − originalTimestamp)``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from teams.net import truncate_ip
from teams.text import find_unstorable

MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
# Deeper JSON is refused: encoding it again to store it would exhaust Python's recursion limit.
MAX_DEPTH = 64
TYPES = ("track", "identify", "page", "screen", "group", "alias")
# analytics-next's short paths.
SHORT_PATHS = {
    "t": "track",
    "i": "identify",
    "p": "page",
    "s": "screen",
    "g": "group",
    "a": "alias",
    "b": "batch",
    "import": "batch",
}

# Identifier values that mean "no identifier": shared by many people (a default left in the code),
# so they must never join profiles (Segment's identity-resolution blocked values, and more).
BLOCKED_VALUES = frozenset(
    {
        "",
        "null",
        "none",
        "nil",
        "undefined",
        "anonymous",
        "unknown",
        "nan",
        "false",
        "true",
        "0",
        "-1",
        "[object object]",
    }
)
# All zeros and dashes: a zeroed UUID or device id ("00000000-0000-0000-0000-000000000000").
BLOCKED_PATTERN = re.compile(r"^[0-]*$")


class RequestRefused(Exception):
    """The whole request is refused: nothing is stored."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class EventRefused(Exception):
    """One event is refused, with a stable code and a sentence naming the field."""

    def __init__(self, code: str, message: str, field: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def is_blocked(value: str) -> bool:
    """Return whether ``value`` must never identify a person."""
    lowered = value.strip().lower()
    return lowered in BLOCKED_VALUES or bool(BLOCKED_PATTERN.match(lowered))


def read_body(raw: bytes, *, content_encoding: str, limit: int) -> bytes:
    """Return the body, gunzipped when it is gzip; refuse one longer than ``limit`` once unpacked."""
    encoding = content_encoding.strip().lower()
    if encoding == "gzip" or raw[:2] == b"\x1f\x8b":
        # Read no more than the limit from the stream, so a small bomb cannot fill the memory.
        try:
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = decompressor.decompress(raw, limit + 1)
        except zlib.error as exc:
            raise RequestRefused(400, "invalid_gzip", _("The body is not valid gzip.")) from exc
    elif encoding in ("", "identity"):
        body = raw
    else:
        raise RequestRefused(415, "unsupported_encoding", _("Send the body plain or gzip-encoded."))
    if len(body) > limit:
        raise RequestRefused(413, "too_large", _("The body is larger than %(limit)d KB.") % {"limit": limit // 1024})
    return body


def text_is_storable(body: bytes) -> bool:
    """Return True when no string parsed from ``body`` can hold a NUL or a lone surrogate.

    So the per-event check (``teams.text.find_unstorable``, a walk over every value) can be
    skipped: in valid UTF-8 without a NUL byte those characters can only come from ``\\u``
    escapes. False means "look", not "refused".
    """
    if b"\\u" in body or b"\x00" in body:
        return False
    if body.isascii():
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> dict:
    try:
        # NaN and Infinity are not JSON, and PostgreSQL's jsonb refuses them: a 400 now, rather
        # than a batch that fails to store on every retry.
        data = json.loads(body, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RequestRefused(400, "invalid_json", _("The body is not valid JSON.")) from exc
    if not isinstance(data, dict):
        raise RequestRefused(400, "invalid_json", _("The body must be a JSON object."))
    return data


def write_key_from(authorization: str, data: dict) -> str:
    """Return the write key: the HTTP Basic user, else ``writeKey`` in the body."""
    scheme, _sep, credentials = authorization.partition(" ")
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        user = decoded.partition(":")[0]
        if user:
            return user
    key = data.get("writeKey")
    return key if isinstance(key, str) else ""


def _time(value, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise EventRefused("invalid_timestamp", _("%(field)s must be an ISO-8601 date string.") % {"field": name}, name)
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise EventRefused("invalid_timestamp", _("%(field)s must be an ISO-8601 date string.") % {"field": name}, name)
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _identifier(value, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise EventRefused("invalid_identifier", _("%(field)s must be a string.") % {"field": name}, name)
    text = str(value).strip()
    if len(text) > 255:
        raise EventRefused("invalid_identifier", _("%(field)s is longer than 255 characters.") % {"field": name}, name)
    return "" if is_blocked(text) else text


def _object(value, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise EventRefused("invalid_field", _("%(field)s must be an object.") % {"field": name}, name)
    return value


def _merge(outer: dict, inner: dict) -> dict:
    """Return ``outer`` updated by ``inner``, nested objects merged too (the item's values win)."""
    merged = dict(outer)
    for key, value in inner.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def corrected_timestamp(
    *, received_at: datetime, sent_at: datetime | None, original: datetime | None
) -> tuple[datetime, list[str]]:
    """Return when the event happened by the server's clock, and the flags it earns.

    The client's clock offset is ``sentAt − receivedAt`` (the network delay is small next to a
    wrong clock); it is taken off the client's own ``timestamp``. Without ``sentAt`` the timestamp
    is used as sent (a backend importing history), without either the receipt time. A result far in
    the future or past is flagged, never shifted: it may be an import, or a broken clock.
    """
    flags = []
    if original is not None and sent_at is not None:
        skew = sent_at - received_at
        if abs(skew) > timedelta(seconds=settings.CUSTOMERS_SKEW_FLAG_SECONDS):
            flags.append("clock_skew")
        timestamp = original - skew
    elif original is not None:
        timestamp = original
    else:
        timestamp = received_at
    if timestamp > received_at + timedelta(seconds=settings.CUSTOMERS_FUTURE_TOLERANCE_SECONDS):
        flags.append("timestamp_future")
    elif timestamp < received_at - timedelta(days=settings.CUSTOMERS_PAST_TOLERANCE_DAYS):
        flags.append("timestamp_past")
    return timestamp, flags


@dataclass
class Message:
    """One event, checked and normalised, ready to store."""

    type: str
    message_id: str
    event: str
    anonymous_id: str
    user_id: str
    group_id: str
    previous_id: str
    path: str
    properties: dict
    traits: dict
    context: dict
    timestamp: datetime
    original_timestamp: datetime | None
    sent_at: datetime | None
    flags: list[str] = field(default_factory=list)

    @property
    def primary(self) -> tuple[str, str]:
        """The identifier the event resolves through: its user id, else its anonymous id."""
        return ("user_id", self.user_id) if self.user_id else ("anonymous_id", self.anonymous_id)


def _too_deep(value) -> bool:
    """Whether any value sits deeper than ``MAX_DEPTH`` (the event itself at depth 1)."""
    # Level by level over the containers only: every event passes here, and most of its values are
    # scalars, which cannot hold anything deeper.
    level = [value] if isinstance(value, dict | list) else []
    depth = 1
    while level:
        below = []
        for container in level:
            children = container.values() if isinstance(container, dict) else container
            if depth >= MAX_DEPTH and children:
                return True
            below.extend(child for child in children if isinstance(child, dict | list))
        level = below
        depth += 1
    return False


def consent_denied(context: dict, category: str) -> bool:
    """Return whether the event's consent (Segment's ``context.consent.categoryPreferences``) denies ``category``.

    Only an event that carries category preferences can deny: one without them is accepted, as
    Segment lets events without a consent object through. With preferences, the category must be
    ``true`` (keys compared without case: CMPs spell ``Analytics`` and ``analytics``); missing or
    anything else is a no.
    """
    if not category:
        return False
    consent = context.get("consent")
    preferences = consent.get("categoryPreferences") if isinstance(consent, dict) else None
    if not isinstance(preferences, dict):
        return False
    wanted = category.strip().lower()
    granted = [value for key, value in preferences.items() if isinstance(key, str) and key.strip().lower() == wanted]
    return not any(value is True for value in granted)


def message_from(
    item,
    *,
    type_: str | None,
    received_at: datetime,
    outer_context: dict | None = None,
    outer_sent_at=None,
    consent_category: str = "",
    store_full_ip: bool = False,
    text_checked: bool = False,
) -> Message:
    """Check one event of a call or a batch and return it normalised; raise ``EventRefused``.

    ``consent_category``: refuse the event when its consent denies this category.
    ``store_full_ip``: keep ``context.ip`` as sent (otherwise it is truncated).
    ``text_checked``: the body is known to hold no NUL or lone surrogate (``text_is_storable``).
    """
    if not isinstance(item, dict):
        raise EventRefused("invalid_event", _("An event must be a JSON object."))
    if _too_deep(item):
        raise EventRefused(
            "invalid_event", _("The event is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH}
        )
    size = len(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode())
    unstorable = None if text_checked else find_unstorable(item)
    if size > MAX_EVENT_BYTES:
        raise EventRefused("too_large", _("The event is larger than 32 KB."))
    if unstorable:
        raise EventRefused(
            "unstorable", _("%(field)s contains a NUL or a lone surrogate.") % {"field": unstorable}, unstorable
        )
    kind = type_ or item.get("type")
    if kind not in TYPES:
        raise EventRefused("invalid_type", _("type must be one of %(types)s.") % {"types": ", ".join(TYPES)}, "type")

    message_id = item.get("messageId")
    if message_id in (None, ""):
        # SDKs always send one; a hand-written call without it cannot be deduplicated on retry.
        message_id = f"wm-{uuid.uuid4()}"
    elif not isinstance(message_id, str | int) or isinstance(message_id, bool) or len(str(message_id)) > 128:
        raise EventRefused(
            "invalid_message_id", _("messageId must be a string of at most 128 characters."), "messageId"
        )
    message_id = str(message_id)

    user_id = _identifier(item.get("userId"), "userId")
    anonymous_id = _identifier(item.get("anonymousId"), "anonymousId")
    previous_id = _identifier(item.get("previousId"), "previousId") if kind == "alias" else ""
    group_id = _identifier(item.get("groupId"), "groupId") if kind == "group" else ""
    if kind == "alias":
        if not (user_id and previous_id):
            raise EventRefused(
                "missing_identifier", _("alias needs a userId and a previousId that are not blocked values."), "userId"
            )
    elif not (user_id or anonymous_id):
        raise EventRefused(
            "missing_identifier",
            _("Send a userId or an anonymousId (blocked values such as null, 0 or anonymous do not count)."),
            "userId",
        )
    if kind == "group" and not group_id:
        raise EventRefused("missing_group_id", _("group needs a groupId."), "groupId")

    event = ""
    if kind == "track":
        event = item.get("event")
        if not isinstance(event, str) or not event.strip():
            raise EventRefused("missing_event", _("track needs an event name."), "event")
        event = event.strip()
    elif kind in ("page", "screen"):
        event = item.get("name") or ""
        if not isinstance(event, str):
            raise EventRefused("invalid_field", _("name must be a string."), "name")
    if len(event) > 200:
        raise EventRefused("invalid_field", _("The event name is longer than 200 characters."), "event")

    properties = _object(item.get("properties"), "properties")
    traits = _object(item.get("traits"), "traits")
    context = _object(item.get("context"), "context")
    if outer_context:
        context = _merge(outer_context, context)
    if consent_denied(context, consent_category):
        raise EventRefused(
            "consent_denied",
            _("The event's consent denies the %(category)s category this team requires; it was not stored.")
            % {"category": consent_category},
            "context.consent",
        )
    if "ip" in context and not store_full_ip:
        context = {**context, "ip": truncate_ip(context["ip"])}

    original = _time(item.get("timestamp") or item.get("originalTimestamp"), "timestamp")
    sent_at = _time(item.get("sentAt"), "sentAt") or outer_sent_at
    try:
        timestamp, flags = corrected_timestamp(received_at=received_at, sent_at=sent_at, original=original)
    except OverflowError as exc:
        raise EventRefused(
            "invalid_timestamp", _("timestamp and sentAt are too far apart to correct."), "timestamp"
        ) from exc

    path = ""
    if kind == "page":
        page = context.get("page") if isinstance(context.get("page"), dict) else {}
        path = properties.get("path") or page.get("path") or ""
        path = path[:500] if isinstance(path, str) else ""
    elif kind == "screen":
        path = event[:500]

    return Message(
        type=kind,
        message_id=message_id,
        event=event,
        anonymous_id=anonymous_id,
        user_id=user_id,
        group_id=group_id,
        previous_id=previous_id,
        path=path,
        properties=properties,
        traits=traits,
        context=context,
        timestamp=timestamp,
        original_timestamp=original,
        sent_at=sent_at,
        flags=flags,
    )
