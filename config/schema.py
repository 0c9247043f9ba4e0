"""The OpenAPI schema generator (``SPECTACULAR_SETTINGS["DEFAULT_GENERATOR_CLASS"]``)."""

from drf_spectacular import generators


class SchemaGenerator(generators.SchemaGenerator):
    """drf-spectacular's generator, reading ``config.schema_urls`` unless told otherwise.

    ``SERVE_URLCONF`` covers the schema views; this covers ``manage.py spectacular`` (the offline
    sidecar), which passes no urlconf of its own by default.
    """

    def __init__(self, *args, **kwargs):
        if kwargs.get("urlconf") is None and kwargs.get("patterns") is None:
            kwargs["urlconf"] = "config.schema_urls"
        super().__init__(*args, **kwargs)
