"""Demo data: index what the other apps' seeds wrote (some of it in bulk, without signals)."""

from .indexing import team_reindex


def seed(context: dict) -> dict:
    team_reindex(context["team"].pk)
    return {}


def seed_zh_hant(context: dict) -> dict:
    team_reindex(context["team"].pk)
    return {}
