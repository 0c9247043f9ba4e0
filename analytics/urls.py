app_name = "analytics"

urlpatterns: list = []

from .urls_retention import urlpatterns as retention_urlpatterns  # noqa: E402

urlpatterns += retention_urlpatterns

from .urls_paths import urlpatterns as paths_urlpatterns  # noqa: E402

urlpatterns += paths_urlpatterns
