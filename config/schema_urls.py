"""The URLs the OpenAPI schema is generated from (``SPECTACULAR_SETTINGS["SERVE_URLCONF"]``).

The site's own, plus documentation-only views at the paths of the plain public survey endpoints
(feedback/public_docs.py), listed first so the schema describes those paths with them. Requests
are never routed through this module.
"""

from django.urls import include, path

from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("api/public/", include("feedback.public_docs")), *site_urlpatterns]
