# Resources of the analytics app: (prefix, viewset, basename), registered by config/urls.py.
routes: list = []
