from importlib import import_module

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static as static_url
from django.urls import include, path, re_path
from django.utils import timezone
from django.views.decorators.http import last_modified, require_safe
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from journeys import lane_views as journeys_lane_views
from journeys import views as journeys_views
from owners.urls import admin_redirects as owners_admin_redirects
from personas import media as persona_media
from reviews import views as reviews_views
from teams import views as teams_views
from teams.api_errors import api_not_found

# The JavaScript catalog changes only with a deployment: browsers revalidate it for a 304.
STARTED_AT = timezone.now()

# Each app's api.py lists its resources in ``routes``: (prefix, viewset, basename).
router = DefaultRouter()
for app in (
    "teams",
    "webhooks",
    "personas",
    "journeys",
    "owners",
    "customers",
    "analytics",
    "feedback",
    "experiments",
    "automations",
    "discussions",
    "reviews",
    "search",
):
    try:
        module = import_module(f"{app}.api")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.api":
            raise
        continue
    for prefix, viewset, basename in getattr(module, "routes", []):
        router.register(prefix, viewset, basename=basename)

# Each app's urls.py holds its pages, mounted at its own prefix; public_urls.py (where an app has
# one) holds anonymous endpoints such as survey submission.
app_pages = []
for app, prefix in (
    ("webhooks", "teams/"),  # a team's webhooks are pages of its settings
    ("personas", "personas/"),
    ("journeys", "maps/"),
    # Owners' pages are pages of a map: their paths go on under maps/ (bookmarks keep working).
    ("owners", "maps/"),
    ("customers", "customers/"),
    ("analytics", "analytics/"),
    ("feedback", "feedback/"),
    ("experiments", "experiments/"),
    ("automations", "automations/"),
    ("discussions", "discussions/"),
    ("reviews", "reviews/"),
    ("search", "search/"),
):
    try:
        import_module(f"{app}.urls")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.urls":
            raise
        continue
    app_pages.append(path(prefix, include(f"{app}.urls")))


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever a page links to: point them at the static icon."""
    return HttpResponsePermanentRedirect(static_url("waymark/favicon.svg"))


urlpatterns = [
    path("", reviews_views.dashboard, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", teams_views.language_set, name="language"),
    path(
        "jsi18n/",
        last_modified(lambda request: STARTED_AT)(JavaScriptCatalog.as_view()),
        name="javascript-catalog",
    ),
    path("teams/", include("teams.urls")),
    # A map's read-only share link: a signed token, no sign-in (journeys/models/sharing.py).
    path("share/<str:token>/", journeys_views.shared_map, name="shared_map"),
    path("share/<str:token>/map.pdf", journeys_lane_views.shared_map_picture, {"fmt": "pdf"}, name="shared_map_pdf"),
    path("share/<str:token>/map.png", journeys_lane_views.shared_map_picture, {"fmt": "png"}, name="shared_map_png"),
    *app_pages,
    *owners_admin_redirects,
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    # The API's shape is public (it is in the docs); its data is not.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path(
        "api/docs/",
        # The split view serves its script as a file: the Content-Security-Policy allows no inline one.
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[AllowAny]),
        name="api-docs",
    ),
]

try:
    import_module("feedback.public_urls")
except ModuleNotFoundError as exc:
    if exc.name != "feedback.public_urls":
        raise
else:
    # First: the busiest URL (every answer of every embedded survey) is matched before the ~10
    # patterns of the pages and the API are tried.
    urlpatterns.insert(0, path("api/public/", include("feedback.public_urls")))
# The Segment-compatible tracking API: SDKs post to <host>/v1/track, /v1/batch … unchanged.
urlpatterns.insert(0, path("v1/", include("customers.public_urls")))
# An automation email's unsubscribe link (signed, no sign-in; one-click POST as RFC 8058 asks).
urlpatterns.append(path("api/public/automations/", include("automations.public_urls")))
# The weekly digest's one-click unsubscribe link (signed, no sign-in).
urlpatterns.append(path("api/public/reviews/", include("reviews.public_urls")))

# Last: any other URL under /api/ is a 404 in the API's error shape, not an HTML page.
urlpatterns.append(re_path(r"^api/", api_not_found))

# Uploaded files (persona photos) from the app's own storage, in production too, each to the members
# of its team only; with an S3-compatible store (MEDIA_S3_BUCKET) photos have signed URLs there.
urlpatterns.append(path(f"{settings.MEDIA_URL.strip('/')}/<path:name>", persona_media.photo_file, name="media"))
