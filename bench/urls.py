"""The product's URLs plus the baseline view at ``/bench/baseline/``."""

from django.urls import path

from bench.baseline.views import baseline_insert
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("bench/baseline/", baseline_insert, name="bench-baseline"),
    *product_urlpatterns,
]
