"""Django admin for journey maps, stages, touchpoints, pain points and versions."""

from django.contrib import admin  # noqa: F401

from . import owner_admin  # noqa: E402, F401 - owners, SLAs, hand-offs, playbooks (issue 5)
