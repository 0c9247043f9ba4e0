"""What customers do: sources, events, profiles and their identities, the tracking plan, stages.

Events are never rewritten. An event points at the ``Identity`` it arrived with (its user id, or
its anonymous id when it has none); identities point at a ``Profile``. Merging two profiles moves
identities, so every past event follows the person without an UPDATE on the event table, and the
same join (event → identity → profile) serves timelines, funnels and a ClickHouse copy later.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from teams.models import Team, TeamOwnedModel, TeamScopedModel


class Source(TeamOwnedModel):
    """Where events come from (a website, a backend, an app, an import), with its write key."""

    class Kind(models.TextChoices):
        WEB = "web", _("Website")
        SERVER = "server", _("Server")
        MOBILE = "mobile", _("Mobile app")
        CRM = "crm", _("CRM import")
        OTHER = "other", _("Other")

    PREFIX_LENGTH = 10

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="sources", verbose_name=_("team"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WEB)
    prefix = models.CharField(_("key prefix"), max_length=PREFIX_LENGTH, unique=True, editable=False)
    hashed_key = models.CharField(_("hashed key"), max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_event_at = models.DateTimeField(_("last event at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["web", "server", "mobile", "crm", "other"]), name="source_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def hash(raw_key: str) -> str:
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @classmethod
    def generate(cls) -> tuple[str, str]:
        """Return a new ``(prefix, write_key)``; the key is shown once and never stored.

        Letters and digits only: SDKs put the key in URLs (analytics-next's settings path) and in
        HTTP Basic credentials, where ``:`` or ``/`` would break.
        """
        prefix = uuid.uuid4().hex[: cls.PREFIX_LENGTH]
        return prefix, f"wk{prefix}{secrets.token_hex(20)}"

    @classmethod
    def prefix_of(cls, raw_key: str) -> str | None:
        if len(raw_key) != 2 + cls.PREFIX_LENGTH + 40 or not raw_key.startswith("wk"):
            return None
        return raw_key[2 : 2 + cls.PREFIX_LENGTH]


class Profile(TeamOwnedModel):
    """One person across devices and channels, reached through their identities."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="profiles", verbose_name=_("team"))
    # The profile's one user id, kept here for display and search; Identity is the truth.
    user_id = models.CharField(_("user id"), max_length=255, blank=True, db_index=True)
    traits = models.JSONField(_("traits"), default=dict, blank=True)
    # The persona whose trait rules the traits meet (customers/persona_assign.py keeps it current).
    persona = models.ForeignKey(
        "personas.Persona",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="profiles",
        editable=False,
        verbose_name=_("persona"),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_profiles",
        editable=False,
        verbose_name=_("merged into"),
    )
    first_seen_at = models.DateTimeField(_("first seen at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen at"), default=timezone.now)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        verbose_name = _("customer profile")
        verbose_name_plural = _("customer profiles")
        indexes = [models.Index(fields=["team", "-last_seen_at"], name="profile_team_seen_idx")]

    def __str__(self) -> str:
        return self.user_id or f"#{self.pk}"


class Identity(TeamOwnedModel):
    """An identifier seen in events (an anonymous id, a user id, an alias) and whose it is."""

    class Kind(models.TextChoices):
        ANONYMOUS_ID = "anonymous_id", _("Anonymous id")
        USER_ID = "user_id", _("User id")
        ALIAS = "alias", _("Alias")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    profile = models.ForeignKey(
        Profile, on_delete=models.CASCADE, related_name="identities", verbose_name=_("customer profile")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=255)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["team", "kind", "value"], name="identity_unique_value"),
            # At most one user id per profile: a merge that would join two is refused.
            models.UniqueConstraint(
                fields=["profile"], condition=Q(kind="user_id"), name="identity_one_user_id_per_profile"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["anonymous_id", "user_id", "alias"]), name="identity_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Event(TeamOwnedModel):
    """One call received from a source (track, identify, page, screen, group, alias), as sent."""

    class Type(models.TextChoices):
        TRACK = "track", "track"
        IDENTIFY = "identify", "identify"
        PAGE = "page", "page"
        SCREEN = "screen", "screen"
        GROUP = "group", "group"
        ALIAS = "alias", "alias"

    class Flag(models.TextChoices):
        FUTURE = "timestamp_future", _("Timestamp in the far future")
        PAST = "timestamp_past", _("Timestamp in the far past")
        SKEW = "clock_skew", _("Client clock off (corrected)")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="events", verbose_name=_("source"))
    message_id = models.CharField(_("message id"), max_length=128)
    type = models.CharField(_("call"), max_length=8, choices=Type.choices)
    # The track event's name, or the page's or screen's name.
    event = models.CharField(_("event"), max_length=200, blank=True)
    anonymous_id = models.CharField(_("anonymous id"), max_length=255, blank=True)
    user_id = models.CharField(_("user id"), max_length=255, blank=True)
    # The identity the event resolves through (its user id if any, else its anonymous id).
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="events", verbose_name=_("identity"))
    group_id = models.CharField(_("group id"), max_length=255, blank=True)
    previous_id = models.CharField(_("previous id"), max_length=255, blank=True)
    # The page's path (context.page.path or properties.path), for the tracking plan's patterns.
    path = models.CharField(_("path"), max_length=500, blank=True)
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    traits = models.JSONField(_("traits"), default=dict, blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    timestamp = models.DateTimeField(_("timestamp"), help_text=_("When it happened, corrected for the client's clock."))
    original_timestamp = models.DateTimeField(_("original timestamp"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    clock_skew_suspect = models.BooleanField(_("clock skew suspected"), default=False)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    # When the tracking plan was applied to it (stages.events_match); empty until then, so the
    # sweep finds events whose task was never queued (broker down) or never finished (worker killed).
    matched_at = models.DateTimeField(_("matched at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            # Deduplication on the source's messageId: retries and concurrent duplicates store one row.
            # On SQLite this unique index does it. On PostgreSQL the table is partitioned by month
            # (migration 0006, customers/partitions.py) and a unique index would have to include
            # the month, so the index is dropped there and the claim table
            # customers_event_message_id, filled by an insert trigger, enforces the same key.
            models.UniqueConstraint(fields=["source", "message_id"], name="event_unique_message_id"),
            models.CheckConstraint(
                condition=Q(type__in=["track", "identify", "page", "screen", "group", "alias"]),
                name="event_type_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "-timestamp"], name="event_team_time_idx"),
            models.Index(fields=["identity", "-timestamp"], name="event_identity_time_idx"),
            models.Index(fields=["team", "event", "-timestamp"], name="event_team_name_time_idx"),
            models.Index(fields=["received_at"], condition=Q(matched_at__isnull=True), name="event_unmatched_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event}".strip()

    @property
    def flag_labels(self) -> list[str]:
        """Return the flags in the reader's language (an unknown flag as stored)."""
        labels = dict(self.Flag.choices)
        return [str(labels.get(flag, flag)) for flag in self.flags]


# Why a merge was refused: stored in English (the API's and the logs' text), shown translated.
MERGE_REASON_TWO_USER_IDS = gettext_noop("the profiles hold two different user ids (%(first)s, %(second)s)")
MERGE_REASON_DATABASE = gettext_noop("the database refused it (one user id per profile)")
MERGE_REASONS = [
    (
        re.compile(r"the profiles hold two different user ids \((?P<first>.*), (?P<second>.*)\)", re.S),
        MERGE_REASON_TWO_USER_IDS,
    ),
    (re.compile(re.escape(MERGE_REASON_DATABASE)), MERGE_REASON_DATABASE),
]


class ProfileMerge(TeamOwnedModel):
    """A merge of one profile into another, done or refused, with why."""

    class Status(models.TextChoices):
        MERGED = "merged", _("Merged")
        REFUSED = "refused", _("Refused")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    into_profile = models.ForeignKey(
        Profile, on_delete=models.CASCADE, related_name="merges_in", verbose_name=_("kept profile")
    )
    from_profile = models.ForeignKey(
        Profile, on_delete=models.CASCADE, related_name="merges_out", verbose_name=_("merged profile")
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    trigger = models.CharField(
        _("call"), max_length=8, help_text=_("The call that asked for it: identify, alias, track …")
    )
    identifier = models.CharField(
        _("identifier"), max_length=300, help_text=_("The identifier that linked the two, kind:value.")
    )
    # Stored in English for the API and the logs; ``reason_display`` gives it in the reader's language.
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # No database constraint: on PostgreSQL events are partitioned by month and their primary key
    # is (id, timestamp), which a foreign key on id alone cannot reference. Deleting events
    # through Django, or dropping a month (customers/partitions.py), unlinks these rows.
    event = models.ForeignKey(
        Event,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("event"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("profile merge")
        verbose_name_plural = _("profile merges")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["merged", "refused"]), name="profilemerge_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.from_profile_id} → {self.into_profile_id} ({self.status})"

    @property
    def reason_display(self) -> str:
        """Return the reason in the reader's language (a reason not written by ``identity`` as stored)."""
        for pattern, message in MERGE_REASONS:
            match = pattern.fullmatch(self.reason)
            if match:
                return gettext(message) % match.groupdict()
        return self.reason


class TraitChange(TeamOwnedModel):
    """One trait's value as it was set: the profile keeps the latest, this keeps the history."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    profile = models.ForeignKey(
        Profile, on_delete=models.CASCADE, related_name="trait_changes", verbose_name=_("customer profile")
    )
    key = models.CharField(_("trait"), max_length=200)
    value = models.JSONField(_("value"), null=True)
    previous_value = models.JSONField(_("previous value"), null=True)
    # No database constraint: on PostgreSQL events are partitioned by month and their primary key
    # is (id, timestamp), which a foreign key on id alone cannot reference. Deleting events
    # through Django, or dropping a month (customers/partitions.py), unlinks these rows.
    event = models.ForeignKey(
        Event,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("event"),
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("trait change")
        verbose_name_plural = _("trait changes")
        indexes = [models.Index(fields=["profile", "key", "-changed_at"], name="traitchange_profile_key_idx")]

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}"


class TrackingRule(TeamOwnedModel):
    """Binds a touchpoint (or a stage's entry) to the events that mean a customer is there."""

    class EventType(models.TextChoices):
        TRACK = "track", _("Track event")
        PAGE = "page", _("Page view")
        SCREEN = "screen", _("Screen view")
        ANY = "any", _("Any call")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="tracking_rules", verbose_name=_("team"))
    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="tracking_rules", verbose_name=_("journey map")
    )
    stage = models.ForeignKey(
        "journeys.Stage",
        on_delete=models.CASCADE,
        related_name="tracking_rules",
        verbose_name=_("stage"),
        help_text=_("The stage entered."),
    )
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tracking_rules",
        verbose_name=_("touchpoint"),
    )
    event_type = models.CharField(_("event type"), max_length=6, choices=EventType.choices, default=EventType.TRACK)
    event_name = models.CharField(_("event name"), max_length=200, blank=True)
    path_pattern = models.CharField(
        _("path pattern"), max_length=300, blank=True, help_text=_("A page path or URL; * matches any text.")
    )
    conditions = models.JSONField(
        _("property conditions"),
        default=list,
        blank=True,
        help_text=_('A list of {"property": …, "op": eq|neq|in|contains|exists, "value": …}; all must hold.'),
    )
    is_active = models.BooleanField(pgettext_lazy("tracking rule", "active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["journey_map", "id"]
        verbose_name = _("tracking rule")
        verbose_name_plural = _("tracking rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(event_type__in=["track", "page", "screen", "any"]), name="trackingrule_event_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.event_name or self.path_pattern or f"rule {self.pk}"


class StageTransition(TeamOwnedModel):
    """A profile entering a stage of a map, from which stage, by which event."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    profile = models.ForeignKey(
        Profile, on_delete=models.CASCADE, related_name="stage_transitions", verbose_name=_("customer profile")
    )
    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="+", verbose_name=_("journey map")
    )
    from_stage = models.ForeignKey(
        "journeys.Stage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from stage"),
    )
    to_stage = models.ForeignKey(
        "journeys.Stage", on_delete=models.CASCADE, related_name="+", verbose_name=_("to stage")
    )
    entered_at = models.DateTimeField(_("entered at"))
    # No database constraint: on PostgreSQL events are partitioned by month and their primary key
    # is (id, timestamp), which a foreign key on id alone cannot reference. Deleting events
    # through Django, or dropping a month (customers/partitions.py), unlinks these rows.
    event = models.ForeignKey(
        Event,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("event"),
    )
    rule = models.ForeignKey(
        TrackingRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tracking rule"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-entered_at", "-id"]
        verbose_name = _("stage transition")
        verbose_name_plural = _("stage transitions")
        indexes = [
            models.Index(fields=["profile", "journey_map", "-entered_at"], name="stagetrans_profile_idx"),
            models.Index(fields=["journey_map", "to_stage", "-entered_at"], name="stagetrans_entered_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.profile_id}: {self.from_stage_id} → {self.to_stage_id}"


class ProfileStage(TeamOwnedModel):
    """Where a profile is on a map now: one row per (profile, map), for cheap "who is here" lists."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    profile = models.ForeignKey(
        Profile, on_delete=models.CASCADE, related_name="current_stages", verbose_name=_("customer profile")
    )
    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="+", verbose_name=_("journey map")
    )
    stage = models.ForeignKey("journeys.Stage", on_delete=models.CASCADE, related_name="+", verbose_name=_("stage"))
    entered_at = models.DateTimeField(_("entered at"))
    transition = models.ForeignKey(
        StageTransition, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("stage transition")
    )

    class Meta:
        ordering = ["journey_map", "stage", "-entered_at"]
        verbose_name = _("current stage")
        verbose_name_plural = _("current stages")
        constraints = [
            models.UniqueConstraint(fields=["profile", "journey_map"], name="profilestage_unique_profile_map"),
        ]
        indexes = [models.Index(fields=["journey_map", "stage", "entered_at"], name="profilestage_stage_idx")]

    def __str__(self) -> str:
        return f"{self.profile_id} in {self.stage_id}"


class PrivacySettings(TeamOwnedModel):
    """A team's choices about the customer data it keeps: IP addresses, consent and retention.

    A team without a row has the defaults (IP addresses truncated, no consent category required,
    events kept forever): ``for_team`` returns an unsaved row then, so readers never branch.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="customer_privacy", verbose_name=_("team"))
    store_full_ip = models.BooleanField(
        _("store full IP addresses"),
        default=False,
        help_text=_("Off: the last octet of an IPv4 address and the last 80 bits of an IPv6 address are zeroed."),
    )
    consent_category = models.CharField(
        _("required consent category"),
        max_length=100,
        blank=True,
        help_text=_(
            "A consent category (such as Analytics) that events must not deny in "
            "context.consent.categoryPreferences; blank: consent is not checked."
        ),
    )
    retention_days = models.PositiveIntegerField(
        _("keep events for (days)"),
        null=True,
        blank=True,
        help_text=_("Older events are deleted every hour; blank: keep them forever."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("customer privacy settings")
        verbose_name_plural = _("customer privacy settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_days__isnull=True) | Q(retention_days__gte=1), name="privacy_retention_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"privacy of {self.team_id}"

    @classmethod
    def for_team(cls, team: Team) -> PrivacySettings:
        """Return the team's settings, or the defaults (unsaved) when it never changed them."""
        try:
            return team.customer_privacy
        except cls.DoesNotExist:
            return cls(team=team)


class Erasure(TeamOwnedModel):
    """A profile erased on request: who asked for it, when, and how many rows went, never the id itself."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    # HMAC of the team and the identifier (``erasure_hash``): a team can check whether an id was
    # erased without the record keeping the id it erased.
    identifier_hash = models.CharField(_("identifier hash"), max_length=64, db_index=True, editable=False)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erased by"),
    )
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now, editable=False)
    # Rows deleted per kind: {"profiles": 1, "events": 40, "identities": 3, "responses": 2, …}.
    counts = models.JSONField(_("rows deleted"), default=dict, blank=True)

    class Meta:
        ordering = ["-erased_at", "-id"]
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self) -> str:
        return f"erasure {self.identifier_hash[:12]} ({self.erased_at:%Y-%m-%d})"

    @property
    def total(self) -> int:
        return sum(value for value in self.counts.values() if isinstance(value, int))


def erasure_hash(team_id: int, identifier: str) -> str:
    """Return the keyed hash an ``Erasure`` keeps instead of the identifier (keyed by SECRET_KEY)."""
    return salted_hmac("customers.erasure", f"{team_id}:{identifier}", algorithm="sha256").hexdigest()


class TrackingRuleDay(TeamOwnedModel):
    """Events one tracking rule matched on one day (UTC) from one identity: the map overlay's counts.

    Kept by the matching task as events are matched (``stages.events_match``) and rebuilt for a map
    when its rules change (``overlay.rollup_rebuild``), so the map page sums a few rows instead of
    matching raw events on every view. Kept per identity, not as a daily total, so unique customers
    over any period are exact and follow merges (identity → profile, as everywhere else).
    An event is counted once per touchpoint: for the first of the touchpoint's rules it matches.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="+", verbose_name=_("journey map")
    )
    rule = models.ForeignKey(
        TrackingRule, on_delete=models.CASCADE, related_name="days", verbose_name=_("tracking rule")
    )
    day = models.DateField(_("day"))
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="+", verbose_name=_("identity"))
    events = models.PositiveIntegerField(_("events"), default=0)

    class Meta:
        ordering = ["-day", "rule"]
        verbose_name = _("tracking rule day")
        verbose_name_plural = _("tracking rule days")
        constraints = [
            models.UniqueConstraint(fields=["rule", "day", "identity"], name="ruleday_unique"),
        ]
        indexes = [models.Index(fields=["journey_map", "day"], name="ruleday_map_day_idx")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.day}: {self.events}"


class IngestRefusal(TeamOwnedModel):
    """An event (or a request) the tracking API refused, with the reason: the source's live debugger.

    Only the last ``KEEP`` per source are kept (trimmed on insert), with ``PAYLOAD_LIMIT`` bytes of
    what was sent, so a misbehaving client cannot fill the table.
    """

    KEEP = 100
    PAYLOAD_LIMIT = 2048

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="refusals", verbose_name=_("source"))
    received_at = models.DateTimeField(_("received at"))
    code = models.CharField(_("code"), max_length=40)
    field = models.CharField(_("field"), max_length=100, blank=True)
    # Stored in the language of the answer the client got (the request's), as the SDK logged it.
    message = models.CharField(_("message"), max_length=500)
    message_id = models.CharField(_("message id"), max_length=128, blank=True)
    payload = models.TextField(_("payload excerpt"), blank=True, help_text=_("The first 2 KB of what was sent."))

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("ingestion refusal")
        verbose_name_plural = _("ingestion refusals")
        indexes = [models.Index(fields=["source", "-id"], name="refusal_source_idx")]

    def __str__(self) -> str:
        return f"{self.code} ({self.received_at:%Y-%m-%d %H:%M:%S})"


class ClickHouseCursor(models.Model):
    """How far the copy into ClickHouse has got through one PostgreSQL table (highest id shipped)."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    position = models.BigIntegerField(_("position"), default=0)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("ClickHouse cursor")
        verbose_name_plural = _("ClickHouse cursors")

    def __str__(self) -> str:
        return f"{self.name}: {self.position}"


class OverlayStat(TeamScopedModel):
    """A map's tracking overlay over the last N days (per touchpoint: events, unique customers and the
    daily counts), stored by a task (``overlay.overlay_stats_refresh``) so the map page reads one row
    instead of summing the per-identity roll-up on every view."""

    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="+", verbose_name=_("journey map")
    )
    days = models.PositiveSmallIntegerField(_("days"))
    computed_at = models.DateTimeField(_("computed at"))
    # The period's first UTC day; its last is computed_at's UTC day.
    first_day = models.DateField(_("first day"))
    # [[touchpoint id, events, unique customers, [events per day, oldest first]], ...]: the touchpoints
    # whose rules counted events in the period. One JSON value, not a row per touchpoint: the page
    # reads a single row whatever the map's size.
    counts = models.JSONField(_("counts"), default=list)

    team_lookup = "journey_map__team"

    class Meta:
        ordering = ["journey_map", "days"]
        verbose_name = _("tracking overlay statistic")
        verbose_name_plural = _("tracking overlay statistics")
        constraints = [models.UniqueConstraint(fields=["journey_map", "days"], name="overlaystat_unique_map_days")]

    def __str__(self) -> str:
        return f"{self.journey_map_id} over {self.days} d"
