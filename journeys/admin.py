"""Django admin for journey maps, stages, touchpoints, pain points and versions."""

from django.contrib import admin  # noqa: F401
