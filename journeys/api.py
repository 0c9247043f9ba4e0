"""REST API of journey maps, stages, touchpoints, pain points and versions."""

routes: list = []
