from importlib import import_module

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.utils import timezone
from django.views.decorators.http import last_modified
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from reviews import views as reviews_views
from teams import views as teams_views
from teams.api_errors import api_not_found

# The JavaScript catalog changes only with a deployment: browsers revalidate it for a 304.
STARTED_AT = timezone.now()

# Each app's api.py lists its resources in ``routes``: (prefix, viewset, basename).
router = DefaultRouter()
for app in ("teams", "personas", "journeys", "feedback", "experiments", "reviews"):
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
    ("personas", "personas/"),
    ("journeys", "maps/"),
    ("feedback", "feedback/"),
    ("experiments", "experiments/"),
    ("reviews", "reviews/"),
):
    try:
        import_module(f"{app}.urls")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.urls":
            raise
        continue
    app_pages.append(path(prefix, include(f"{app}.urls")))

urlpatterns = [
    path("", reviews_views.dashboard, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", teams_views.language_set, name="language"),
    path(
        "jsi18n/",
        last_modified(lambda request: STARTED_AT)(JavaScriptCatalog.as_view()),
        name="javascript-catalog",
    ),
    path("teams/", include("teams.urls")),
    *app_pages,
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    # The API's shape is public (it is in the docs); its data is not.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[AllowAny]),
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
# The weekly digest's one-click unsubscribe link (signed, no sign-in).
urlpatterns.append(path("api/public/reviews/", include("reviews.public_urls")))

# Last: any other URL under /api/ is a 404 in the API's error shape, not an HTML page.
urlpatterns.append(re_path(r"^api/", api_not_found))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
