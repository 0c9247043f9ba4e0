"""API authentication by team key (``Authorization: Bearer wm_…``) and the per-key rate limit."""

import hmac

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, throttling
from rest_framework.settings import api_settings

from . import ratelimit
from .access import ApiKeyPrincipal
from .models import ApiKey
from .services import api_key_touch


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as “Authorization: Bearer <key>”."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from exc
        parts = raw.split("_")
        if len(parts) < 3 or parts[0] != "wm":
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        api_key = ApiKey.objects.select_related("team", "created_by").filter(prefix=parts[1]).first()
        if api_key is None or not hmac.compare_digest(api_key.hashed_key, ApiKey.hash(raw)):
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if not api_key.is_active:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        api_key_touch(api_key=api_key)
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyRateThrottle(throttling.BaseThrottle):
    """Limit each API key to API_KEY_RATE requests; people signed in through the browser are not limited.

    Counted atomically (``teams.ratelimit.hit_exact``): DRF's own throttle reads the history,
    appends and writes it back, so concurrent requests of one key overwrite each other's hits.
    """

    scope = "api_key"
    THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES

    def __init__(self):
        self._wait: int | None = None

    def allow_request(self, request, view) -> bool:
        api_key = getattr(request.user, "api_key", None)
        if api_key is None:
            return True
        limit, period = ratelimit.parse_rate(self.THROTTLE_RATES[self.scope])
        self._wait = ratelimit.hit_exact(f"api-key:{api_key.prefix}", limit, period)
        return self._wait is None

    def wait(self) -> int | None:
        return self._wait


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A team API key: `Authorization: Bearer wm_…`"}
