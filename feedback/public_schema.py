"""The public survey endpoints in the OpenAPI schema (a drf-spectacular post-processing hook).

The views in ``feedback/public.py`` are plain Django views (anonymous, CSRF-exempt, sessionless),
so drf-spectacular cannot see them. ``add_public_survey_paths`` appends hand-written path items
for the four JSON endpoints, with the request bodies, parameters, answers and status codes the
views really give. Registered last in ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``, after
``teams.api_errors.add_error_responses``, so these operations keep exactly the error statuses
listed here (no 401: they need no credentials, ``security: [{}]``).

The ``public_key`` example is the key the schemathesis test gives its active survey
(tests/integrations/test_schemathesis.py), so the explicit examples reach a real survey.
"""

from __future__ import annotations

import copy

from teams.api_errors import ERROR_SCHEMA

EXAMPLE_PUBLIC_KEY = "schemathesis-demo-key"
PREFIX = "/api/public/surveys/{public_key}/"
TAG = "public"

_ERROR = {"$ref": "#/components/schemas/Error"}

_PUBLIC_KEY = {
    "name": "public_key",
    "in": "path",
    "required": True,
    "description": "The survey's public key (shown on its page in Waymark; the widget's `data-survey`).",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"},
    "example": EXAMPLE_PUBLIC_KEY,
}

_STRING_OR_NULL = {"type": "string", "nullable": True}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _guard_responses() -> dict:
    """What every public endpoint may answer before the view runs (``public_endpoint``)."""
    return {
        "403": _error(
            "The request's `Origin` is neither one of the survey's allowed origins nor Waymark's own "
            "(`code`: `origin_not_allowed`). Requests without `Origin` (servers, curl) are not refused."
        ),
        "404": _error("No survey has this public key (`code`: `not_found`)."),
        "429": {
            **_error(
                "Too many requests from this client address (`FEEDBACK_RATE_LIMIT`, `code`: `throttled`); "
                "wait `Retry-After` seconds."
            ),
            "headers": {
                "Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds to wait."}
            },
        },
    }


def _body_responses() -> dict:
    """What the JSON-reading endpoints answer for a body they cannot read (``_read_json``)."""
    return {
        "400": _error(
            "The body is not valid JSON (`parse_error`) or a field is invalid (`invalid`): `errors` names each."
        ),
        "409": _error(
            "The survey is a draft or closed and takes no answers (`survey_closed`), or the response "
            "with this `submission_id` is already finished and the post would change it (`already_finished`)."
        ),
        "413": _error("The body is larger than `FEEDBACK_MAX_BODY_BYTES` (`too_large`)."),
        "415": _error("The body is not `application/json` (`unsupported_media_type`)."),
    }


_DEFINITION = {
    "type": "object",
    "required": ["key", "kind", "status", "locale", "dir", "title", "thank_you", "ui", "questions"],
    "properties": {
        "key": {"type": "string", "description": "The survey's public key."},
        "kind": {"type": "string", "enum": ["nps", "csat", "ces", "custom"]},
        "status": {"type": "string", "enum": ["active", "closed"], "description": "Drafts answer 404."},
        "locale": {"type": "string", "description": "The language chosen: `?locale=`, then Accept-Language."},
        "dir": {"type": "string", "enum": ["ltr", "rtl"]},
        "title": {"type": "string"},
        "thank_you": {"type": "string"},
        "ui": {
            "type": "object",
            "description": (
                "The widget's own words (button labels, scale ends, messages) in `locale`, from the "
                "gettext catalogs; English for a language without one."
            ),
            "additionalProperties": {"type": "string"},
        },
        "questions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "kind", "text", "required", "min", "max", "choices"],
                "properties": {
                    "key": {"type": "string"},
                    "kind": {"type": "string", "enum": ["nps", "rating", "ces", "single", "multiple", "text"]},
                    "text": {"type": "string"},
                    "required": {"type": "boolean"},
                    "min": {"type": "integer", "nullable": True, "description": "Scale low end; null if unscored."},
                    "max": {"type": "integer", "nullable": True, "description": "Scale high end; null if unscored."},
                    "choices": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["value", "label"],
                            "properties": {"value": {"type": "string"}, "label": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}

_ELIGIBILITY = {
    "type": "object",
    "required": ["eligible", "reason"],
    "properties": {
        "eligible": {"type": "boolean"},
        "reason": {
            "type": "string",
            "enum": ["", "recontact", "team_cap", "closed", "draft"],
            "description": "Why not (empty when eligible).",
        },
    },
}

_DISPLAY_REQUEST = {
    "type": "object",
    "description": "Unknown fields are ignored.",
    "properties": {
        "event": {"type": "string", "enum": ["shown", "dismissed"], "default": "shown"},
        "respondent_id": {"type": "string", "maxLength": 128},
        "locale": {"type": "string", "maxLength": 10},
        "page_url": {"type": "string", "maxLength": 500},
    },
}

_ANSWER = {
    "description": "A score (whole number or its digits), a choice, a list of choices or text; "
    "null, empty text or an empty list removes an earlier answer.",
    "nullable": True,
    "oneOf": [
        {"type": "integer"},
        {"type": "string", "maxLength": 4000},
        {"type": "array", "maxItems": 50, "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]}},
    ],
}

_SUBMISSION_REQUEST = {
    "type": "object",
    "required": ["submission_id", "answers"],
    "additionalProperties": False,
    "properties": {
        "submission_id": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_.:-]{8,64}$",
            "description": "Chosen by the client (a UUID is ideal): posts with the same id update one response.",
        },
        "answers": {
            "type": "object",
            "description": "{question key: answer}; each answer is checked against its question.",
            "additionalProperties": _ANSWER,
        },
        "finished": {
            "type": "boolean",
            "default": False,
            "description": "Send true with the last (or only) part: required questions are then checked and the "
            "response is closed. Left out (false), later posts with the same id may add answers.",
        },
        "locale": {**_STRING_OR_NULL, "maxLength": 10},
        "respondent_id": {**_STRING_OR_NULL, "maxLength": 128},
        "channel": {
            **_STRING_OR_NULL,
            "enum": ["widget", "link", "email", "api", "app", "", None],
            "description": "Default: `widget` when the request has an `Origin`, else `api`.",
        },
        "page_url": {**_STRING_OR_NULL, "maxLength": 500},
        "website": {
            "description": "The honeypot: leave it out or empty. A filled one answers 202 and stores nothing.",
        },
    },
}

_STORED = {
    "type": "object",
    "required": ["submission_id", "created", "finished", "score", "answers"],
    "properties": {
        "submission_id": {"type": "string"},
        "created": {"type": "boolean", "description": "True for a new response (201), false for a retry (200)."},
        "finished": {"type": "boolean"},
        "score": {"type": "integer", "nullable": True, "description": "The primary score, if answered."},
        "answers": {
            "type": "object",
            "description": "All answers so far, validated (merged over earlier posts of this submission_id).",
            "additionalProperties": {
                "oneOf": [{"type": "integer"}, {"type": "string"}, {"type": "array", "items": {"type": "string"}}]
            },
        },
    },
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operations() -> dict:
    definition = {
        "get": {
            "operationId": "public_survey_definition",
            "summary": "The survey as the respondent sees it",
            "description": "The survey and its questions in the respondent's language: `?locale=`, then "
            "`Accept-Language`, then the survey's default. Anonymous; CORS for the survey's allowed origins.",
            "tags": [TAG],
            "security": [{}],
            "parameters": [
                {
                    "name": "locale",
                    "in": "query",
                    "required": False,
                    "description": "The page's language, e.g. `lv` or `pt-BR`.",
                    "schema": {"type": "string"},
                },
                {
                    "name": "Accept-Language",
                    "in": "header",
                    "required": False,
                    "description": "The browser's languages; used when `locale` matches none of the survey's.",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": _json(_DEFINITION, "The survey in the chosen language."),
                **_guard_responses(),
            },
        }
    }
    definition["get"]["responses"]["404"] = _error("No survey has this public key, or it is a draft (`not_found`).")
    eligibility = {
        "get": {
            "operationId": "public_survey_eligibility",
            "summary": "Whether to show the survey to this respondent",
            "description": "Decided on the server, so it holds across devices: no second answer or display within "
            "the survey's recontact days, one survey of the team per `FEEDBACK_TEAM_CAP_DAYS`.",
            "tags": [TAG],
            "security": [{}],
            "parameters": [
                {
                    "name": "respondent_id",
                    "in": "query",
                    "required": False,
                    "description": "Your id for the respondent (first 128 characters); anonymous ones are eligible.",
                    "schema": {"type": "string"},
                }
            ],
            "responses": {"200": _json(_ELIGIBILITY, "Whether to show it, and why not."), **_guard_responses()},
        }
    }
    body = _body_responses()
    displays = {
        "post": {
            "operationId": "public_survey_display",
            "summary": "Record that the survey was shown or dismissed",
            "description": "Displays are the denominator of the widget's response rate (`shown`, the default) "
            "and record when a respondent closed it (`dismissed`). A draft or closed survey answers 409 "
            "`survey_closed`.",
            "tags": [TAG],
            "security": [{}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _DISPLAY_REQUEST,
                        "example": {"event": "shown", "respondent_id": "customer-42", "locale": "en"},
                    }
                },
            },
            "responses": {
                "201": _json(
                    {"type": "object", "required": ["recorded"], "properties": {"recorded": {"type": "boolean"}}},
                    "Recorded.",
                ),
                "400": body["400"],
                **_guard_responses(),
                "409": _error("The survey is a draft or closed (`survey_closed`)."),
                "413": body["413"],
                "415": body["415"],
            },
        }
    }
    responses = {
        "post": {
            "operationId": "public_survey_response",
            "summary": "Store a respondent's answers",
            "description": "Idempotent by `(survey, submission_id)`: a retried post stores one response (200); a "
            "later post with the same id adds answers until one says `finished: true` (`finished` defaults to "
            "false, so the score can come first and the comment later). Required questions are checked when the "
            "response is finished; after that, an identical retry answers 200 and a change 409 `already_finished`.",
            "tags": [TAG],
            "security": [{}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": _SUBMISSION_REQUEST,
                        "example": {
                            "submission_id": "schemathesis-submission-1",
                            "answers": {"score": 9},
                            "finished": True,
                            "locale": "en",
                            "respondent_id": "customer-42",
                        },
                    }
                },
            },
            "responses": {
                "200": _json(_STORED, "This submission_id was stored before; its answers are merged."),
                "201": _json(_STORED, "A new response is stored."),
                "202": _json(
                    {"type": "object", "required": ["stored"], "properties": {"stored": {"type": "boolean"}}},
                    "The honeypot `website` is filled: nothing is stored.",
                ),
                **body,
                **_guard_responses(),
            },
        }
    }
    return {
        PREFIX: definition,
        f"{PREFIX}eligibility/": eligibility,
        f"{PREFIX}displays/": displays,
        f"{PREFIX}responses/": responses,
    }


def add_public_survey_paths(result, generator, request, public):
    """drf-spectacular post-processing hook: append the public survey endpoints."""
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("Error", ERROR_SCHEMA)
    paths = result.setdefault("paths", {})
    for path, item in _operations().items():
        for method in item.values():
            method["parameters"] = [copy.deepcopy(_PUBLIC_KEY), *method.get("parameters", [])]
        paths[path] = item
    if not any(tag.get("name") == TAG for tag in result.get("tags", [])):
        result.setdefault("tags", []).append(
            {"name": TAG, "description": "Anonymous survey endpoints for the widget and other clients."}
        )
    return result
