"""Texts of delivery errors and of the reasons an endpoint was disabled, kept as a code and params.

The API keeps returning the English sentence stored in ``error`` / ``disabled_reason`` (receivers'
scripts may match on it); the pages show the same sentence in the reader's language, rendered from
the code and params stored beside it.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

TEXTS = {
    "timeout": gettext_noop("Timed out after %(seconds)s s."),
    "tls": gettext_noop("TLS error: %(detail)s"),
    "connection": gettext_noop("Connection failed: %(detail)s"),
    "status": gettext_noop("The receiver answered %(status)s."),
    "redirect": gettext_noop("The receiver answered %(status)s. Redirects are not followed: register the final URL."),
    "interrupted": gettext_noop("Not sent again: attempt %(attempt)s was interrupted and was the last one."),
    "endpoint_disabled": gettext_noop("Not sent: the endpoint is disabled."),
    "endpoint_was_disabled": gettext_noop("Not sent: the endpoint was disabled."),
    "disabled_by": gettext_noop("Disabled by %(user)s."),
    "disabled_after_failures": gettext_noop("Disabled after %(count)s failed attempts in a row."),
}


def message(code: str, **params) -> dict:
    """Return the stored form of a text: its code and the values it is filled with."""
    assert code in TEXTS, code
    return {"code": code, "params": params}


def render(stored: dict) -> str:
    """Return the text of ``stored`` in the active language ("" for an unknown or empty one).

    A reason for disabling may carry the error that caused it under ``params["error"]``.
    """
    msgid = TEXTS.get((stored or {}).get("code", ""))
    if msgid is None:
        return ""
    params = dict(stored.get("params") or {})
    cause = params.pop("error", None)
    text = gettext(msgid) % params
    if cause:
        text = f"{text} {render(cause)}".strip()
    return text


def render_english(stored: dict) -> str:
    """Return the text of ``stored`` in English: the value stored for the API."""
    with translation.override(None):
        return render(stored)
