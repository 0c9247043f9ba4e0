"""One error body for the whole API.

Every error answers ``{"detail": "...", "code": "...", "errors": {...}}``. ``errors`` names each
field that failed with its messages (``non_field_errors`` for the object as a whole), so a client
can show the message next to the right input.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail["non_field_errors"] = detail.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, OverflowError):
        # SQLite cannot bind integers beyond 64 bits (an id or filter like ?map=10**30).
        exc = exceptions.ValidationError({"non_field_errors": [gettext("A number in the request is out of range.")]})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        # DRF formats the wait into its message before looking it up, so no catalog can translate it.
        wait = exc.wait
        exc = exceptions.Throttled(detail=throttled_detail(wait))
        exc.wait = wait  # the Retry-After header

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        first = _first_message(errors)
        response.data = {"detail": first, "code": "invalid", "errors": errors}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"detail": str(detail), "code": code, "errors": {}}
    return response


def throttled_detail(wait: int) -> str:
    """Return DRF's 429 sentence, in the request's language."""
    seconds = ngettext("Expected available in %(wait)d second.", "Expected available in %(wait)d seconds.", wait)
    return f"{gettext('Request was throttled.')} {seconds % {'wait': wait}}"


# DRF's own error texts that its Traditional Chinese catalog lacks: marked here so this app's
# catalogs carry them and an API error never falls back to English.
DRF_TEXTS = [
    _("Request was throttled."),
    _("Authentication credentials were not provided."),
    _("Incorrect authentication credentials."),
    _("Malformed request."),
    _('Unsupported media type "{media_type}" in request.'),
    _("Could not satisfy the request Accept header."),
    _("A server error occurred."),
    _("Invalid input."),
    _("Incorrect type. Expected pk value, received {data_type}."),
    _("Datetime has wrong format. Use one of these formats instead: {format}."),
    _("Must be a valid boolean."),
]


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for field, value in errors.items():
            msg = _first_message(value)
            return msg if field == "non_field_errors" else f"{field}: {msg}"
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors) if errors else gettext("Invalid input.")


def conflict(detail: str, **extra) -> Response:
    """Return a 409 in the API's error shape."""
    return Response({"detail": detail, "code": "conflict", "errors": {}, **extra}, status=status.HTTP_409_CONFLICT)


ERROR_SCHEMA = {
    "type": "object",
    "description": "The error body of every API error.",
    "properties": {
        "detail": {
            "type": "string",
            "description": "A sentence for people (the first field error, if any).",
        },
        "code": {"type": "string", "description": "A stable code: invalid, not_found, permission_denied, throttled …"},
        "errors": {
            "type": "object",
            "description": "Messages per field (``non_field_errors`` for the whole object); empty when none.",
            "additionalProperties": True,
        },
    },
    "required": ["detail", "code", "errors"],
}

_ERROR_RESPONSES = {
    "400": "The input is invalid: `errors` names each field.",
    "401": "No credentials, or a revoked or unknown API key.",
    "403": "Your role (or the key's scope) does not allow this.",
    "404": "No such object in your teams.",
    "405": "The method is not allowed here.",
    "406": "The Accept header asks for a format the API does not speak.",
    "415": "The request body's content type is not supported (send application/json).",
    "429": "Too many requests for this API key; wait `Retry-After` seconds.",
}
_WRITE_ONLY = {"409": "The object changed since you read it (If-Match / revision), or the action conflicts."}


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: document the error body on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if operation.get("security") == [{}]:
                # Anonymous (the public survey endpoints): no 401, and each lists the statuses it answers.
                continue
            declared = dict(_ERROR_RESPONSES)
            if method in ("post", "put", "patch", "delete"):
                declared.update(_WRITE_ONLY)
            responses = operation["responses"]
            for code, description in declared.items():
                if code in responses:
                    continue
                response = {"description": description, "content": {"application/json": {"schema": ref}}}
                if code == "429":
                    response["headers"] = {
                        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
                    }
                responses[code] = response
    return result


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Answer a URL under /api/ that matches no endpoint with a 404 in the API's error shape."""
    from django.http import JsonResponse

    return JsonResponse({"detail": gettext("No such endpoint."), "code": "not_found", "errors": {}}, status=404)
