import secrets

from django.conf import settings
from django.core import signing
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import TeamOwnedModel, TeamScopedModel

SIGNING_SALT = "journeys.share-link"


def _nonce() -> str:
    return secrets.token_urlsafe(9)


class ShareLink(TeamOwnedModel):
    """A read-only link to a map (its draft, or one version) for people without an account.

    The URL carries a signed token (the link's id and a random nonce), so it cannot be guessed or
    forged; it stops working when revoked or expired, and every view is logged.
    """

    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="share_links", verbose_name=_("journey map")
    )
    version = models.ForeignKey(
        "journeys.MapVersion",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("version"),
        help_text=_("Empty: the link shows the draft as it is when opened."),
    )
    label = models.CharField(_("label"), max_length=120, blank=True, help_text=_("Who the link is for."))
    nonce = models.CharField(max_length=16, default=_nonce, editable=False, verbose_name=_("nonce"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("share link")
        verbose_name_plural = _("share links")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.label or f"{self.journey_map} #{self.pk}"

    @property
    def token(self) -> str:
        # No timestamp in it (expiry is the row's), so a link's URL stays the same each time it is shown.
        return signing.Signer(salt=SIGNING_SALT).sign_object({"id": self.pk, "n": self.nonce}, compress=True)

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class ShareLinkView(TeamScopedModel):
    """One opening of a share link: when, and from where (the address truncated)."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="views", verbose_name=_("share link"))
    viewed_at = models.DateTimeField(_("viewed at"), default=timezone.now, db_index=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True, help_text=_("The last part is zeroed."))
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)

    team_lookup = "link__team"

    class Meta:
        verbose_name = _("share link view")
        verbose_name_plural = _("share link views")
        ordering = ["-viewed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.link} @ {self.viewed_at:%Y-%m-%d %H:%M}"
