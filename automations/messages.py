"""What an automation's email says: the template in the customer's language, traits filled in,
and the unsubscribe link (signed, so it works without signing in and cannot be guessed).

A template is ``{locale: {"subject": …, "body": …}}`` in any language a survey can be written in
(the survey builder's ``pick_text`` picks it: the exact locale, then its language, then the
step's default, then English). ``{{ first_name }}`` or ``{{ traits.plan }}`` put a trait in;
an unknown trait puts in nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from feedback.models import language_of, pick_text
from owners.sla import absolute_url

PLACEHOLDER = re.compile(r"\{\{\s*(?:traits\.)?([\w-]+)\s*\}\}")
UNSUBSCRIBE_SALT = "automations.unsubscribe"


@dataclass(frozen=True)
class Rendered:
    locale: str
    subject: str
    body: str


def profile_locale(profile, team=None) -> str:
    """The customer's language: their ``locale`` or ``language`` trait, else the team's, else English."""
    traits = profile.traits if isinstance(profile.traits, dict) else {}
    for key in ("locale", "language"):
        value = traits.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().replace("_", "-")
    return (getattr(team, "language", "") or "en") if team is not None else "en"


def interpolate(text: str, profile) -> str:
    traits = profile.traits if isinstance(profile.traits, dict) else {}

    def put(match):
        value = traits.get(match.group(1))
        return "" if value is None or isinstance(value, dict | list) else str(value)

    return PLACEHOLDER.sub(put, text or "")


def pick(templates: dict, locale: str, default_locale: str = "en") -> tuple[str, dict]:
    """Return ``(locale used, {"subject", "body"})`` from the step's templates for ``locale``."""
    templates = templates if isinstance(templates, dict) else {}
    keyed = {loc: loc for loc in templates}
    chosen = pick_text(keyed, locale, default_locale)
    return chosen, templates.get(chosen) or {}


def unsubscribe_token(profile) -> str:
    return signing.dumps({"t": profile.team_id, "p": profile.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def profile_from_token(token: str):
    from customers.models import Profile

    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return Profile.objects.filter(pk=data.get("p"), team_id=data.get("t")).select_related("team").first()


def unsubscribe_url(profile) -> str:
    return absolute_url(reverse("automations_public:unsubscribe", kwargs={"token": unsubscribe_token(profile)}))


def _survey_link(survey_id) -> tuple[str, str]:
    from feedback.models import Survey

    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        return "", ""
    return survey.title if isinstance(survey.title, str) else "", absolute_url(
        reverse("feedback_public:survey_page", kwargs={"public_key": survey.public_key})
    )


def _supported(locale: str) -> str:
    for candidate in (locale, language_of(locale)):
        try:
            return translation.get_supported_language_variant(candidate)
        except LookupError:
            continue
    return "en"


def render_for(step, profile, automation, *, locale: str | None = None) -> Rendered:
    """Return the step's email for the customer (or in ``locale``: the builder's preview)."""
    cfg = step.config or {}
    wanted = locale or profile_locale(profile, automation.team)
    chosen, template = pick(cfg.get("templates") or {}, wanted, cfg.get("default_locale") or "en")
    subject = interpolate(template.get("subject", ""), profile)
    body = interpolate(template.get("body", ""), profile)
    # The sentences Waymark adds are in the customer's language too (from the catalogs).
    with translation.override(_supported(chosen or wanted)):
        if step.kind == "survey":
            _title, link = _survey_link(cfg.get("survey"))
            subject = subject or gettext("Tell us how it went")
            body = (body + "\n\n" if body else "") + gettext("Answer a short survey: %(link)s") % {"link": link}
        body += "\n\n-- \n" + gettext("Unsubscribe from these emails: %(link)s") % {
            "link": unsubscribe_url(profile) if profile.pk else "#"
        }
    return Rendered(locale=chosen or wanted, subject=subject.replace("\n", " ")[:200], body=body)
