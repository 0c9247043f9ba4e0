app_name = "analytics"

urlpatterns: list = []

from .urls_retention import urlpatterns as retention_urlpatterns  # noqa: E402

urlpatterns += retention_urlpatterns
