"""REST API of journey maps, stages, touchpoints, pain points and versions."""

routes: list = []

from .owner_api import routes as owner_routes  # noqa: E402 - owners, SLAs, hand-offs, playbooks (issue 5)

routes += owner_routes
