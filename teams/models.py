import datetime
import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    EDITOR = "editor", _("Editor")
    ADMIN = "admin", _("Admin")

    @property
    def rank(self) -> int:
        return ROLE_RANK[self.value]

    def allows(self, required: "Role | str") -> bool:
        """Return whether this role includes the rights of ``required``."""
        return ROLE_RANK[self.value] >= ROLE_RANK[str(required)]


ROLE_RANK = {Role.VIEWER.value: 1, Role.EDITOR.value: 2, Role.ADMIN.value: 3}


def visible_team_ids(user) -> models.QuerySet | list[int]:
    """Return the ids of the teams ``user`` (a person or an API key principal) may read."""
    api_key = getattr(user, "api_key", None)
    if api_key is not None:
        return [api_key.team_id]
    if user is None or not user.is_authenticated:
        return []
    return Membership.objects.filter(user=user).values("team_id")


class TeamScopedQuerySet(models.QuerySet):
    """A queryset of rows that belong to one team, directly or through a parent.

    Filters on the model's ``team_lookup``. Every read path in the UI and the API goes through
    ``for_user``.
    """

    @property
    def team_lookup(self) -> str:
        return self.model.team_lookup

    def for_team(self, team: "Team | int") -> "TeamScopedQuerySet":
        return self.filter(**{self.team_lookup: team})

    def for_user(self, user) -> "TeamScopedQuerySet":
        return self.filter(**{f"{self.team_lookup}__in": visible_team_ids(user)})


class TeamScopedModel(models.Model):
    """Base of every model whose rows belong to one team, directly or through a parent.

    ``team_lookup`` is the path from the model to its team's id: ``"team"`` for a row that holds
    the team itself, ``"journey_map__team"`` for a row that belongs to it through a parent. A
    subclass sets it as a class attribute; its ``objects`` (this base's, or a ``TeamScopedQuerySet``
    subclass's for extra methods) scope by it.
    """

    team_lookup = "team"

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    def get_team_id(self) -> int:
        """Return the id of the owning team, following ``team_lookup``."""
        parts = type(self).objects.get_queryset().team_lookup.split("__")
        obj = self
        for part in parts[:-1]:
            obj = getattr(obj, part)
        return obj.pk if parts[-1] in ("id", "pk") else getattr(obj, f"{parts[-1]}_id")


class TeamOwnedModel(TeamScopedModel):
    """Base of every model whose rows hold their team directly."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))

    class Meta:
        abstract = True


class Team(TeamScopedModel):
    """A group of people who keep journey maps together."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    accent_color = models.CharField(
        _("accent color"),
        max_length=7,
        default="#4f46e5",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Give the colour as #rrggbb, e.g. #4f46e5."))],
        help_text=_("The team's accent colour, as #rrggbb."),
    )
    # Working hours: SLAs in business hours count only this time (owners/sla.py).
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", help_text=_("IANA time zone of the team, e.g. Europe/Riga.")
    )
    working_days = models.CharField(
        _("working days"),
        max_length=7,
        default="12345",
        validators=[RegexValidator(r"^[1-7]{1,7}$", _("List ISO weekdays as digits, 1 = Monday, e.g. 12345."))],
        help_text=_("ISO weekdays the team works, as digits (1 = Monday): 12345 is Monday to Friday."),
    )
    workday_start = models.TimeField(
        _("workday start"), default=datetime.time(9, 0), help_text=_("When a working day starts.")
    )
    workday_end = models.TimeField(
        _("workday end"), default=datetime.time(17, 0), help_text=_("When a working day ends.")
    )
    language = models.CharField(
        _("default language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The interface's language for members who have not chosen their own; blank: the browser's."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    team_lookup = "id"

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.CheckConstraint(condition=Q(accent_color__regex=r"^#[0-9a-fA-F]{6}$"), name="team_accent_color_hex"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self.name)
        super().save(*args, **kwargs)


def unique_slug(name: str) -> str:
    base = slugify(name)[:120] or "team"
    slug, n = base, 1
    while Team.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


class UserPreference(models.Model):
    """A person's own settings that follow them across teams."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waymark_preference", verbose_name=_("user")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The interface's language; blank: the team's default, then the browser's."),
    )

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user} · {self.language or 'auto'}"


class MembershipQuerySet(TeamScopedQuerySet):
    pass


class Membership(TeamOwnedModel):
    """A person's role in a team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # When the person last switched to this team or opened one of its objects: where they land
    # after logging in (teams.middleware.default_membership).
    last_active_at = models.DateTimeField(_("last active at"), null=True, blank=True, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["team__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_unique_team_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.team} ({self.role})"


class ApiKey(TeamOwnedModel):
    """A team's key for integrations; only its hash is stored."""

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    PREFIX_LENGTH = 8

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("team"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, unique=True, editable=False)
    hashed_key = models.CharField(_("hashed key"), max_length=64, editable=False)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(condition=Q(scope__in=["read", "read_write"]), name="apikey_scope_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def role(self) -> Role:
        """Return the team role the key acts with: never more than editor."""
        return Role.EDITOR if self.scope == self.Scope.READ_WRITE else Role.VIEWER

    @staticmethod
    def hash(raw_key: str) -> str:
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @classmethod
    def generate(cls) -> tuple[str, str]:
        """Return a new ``(prefix, raw_key)``; the raw key is shown once and never stored."""
        prefix = uuid.uuid4().hex[: cls.PREFIX_LENGTH]
        return prefix, f"wm_{prefix}_{secrets.token_urlsafe(32)}"
