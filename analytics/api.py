from .api_paths import PathsViewSet

# Resources of the analytics app: (prefix, viewset, basename), registered by config/urls.py.
routes: list = [
    ("paths", PathsViewSet, "paths"),
]
