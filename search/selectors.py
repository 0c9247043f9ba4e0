"""Search a person's teams: ranked hits, counted by kind, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from teams.models import Team

from .indexing import teams_sync
from .models import SearchEntry
from .text import Clause, highlight, query_clauses

KIND_ORDER = [value for value, _label in SearchEntry.Kind.choices]


def pg_tsquery(clauses: list[Clause]) -> str:
    """Return the ``to_tsquery('simple', …)`` text: every clause ANDed, prefixes with ``:*``."""
    parts = []
    for clause in clauses:
        if clause.prefix:
            parts.append(f"'{clause.terms[0]}':*")
        else:
            parts.append("(" + " <-> ".join(f"'{t}'" for t in clause.terms) + ")")
    return " & ".join(parts)


def fts5_query(clauses: list[Clause]) -> str:
    """Return the FTS5 ``MATCH`` text: every clause ANDed, prefixes with ``*``, runs as phrases."""
    return " AND ".join(
        f'"{clause.terms[0]}"*' if clause.prefix else '"' + " ".join(clause.terms) + '"' for clause in clauses
    )


# The match, the rank (higher is better; title terms weigh more than text) and team scoping, per
# engine. An answer's entry whose answer was deleted outside the ORM is skipped.
PG_MATCH = """
    FROM search_searchentry e, to_tsquery('simple', %s) query
    WHERE e.team_id = ANY(%s) AND e.document @@ query {kind}
      AND (e.response_id IS NULL OR EXISTS (SELECT 1 FROM feedback_response r WHERE r.id = e.response_id))
"""
PG_RANK = "ts_rank(e.document, query)"
SQLITE_MATCH = """
    FROM search_searchentry e JOIN search_searchentry_fts f ON f.rowid = e.id
    WHERE search_searchentry_fts MATCH %s AND e.team_id IN ({teams}) {kind}
      AND (e.response_id IS NULL OR EXISTS (SELECT 1 FROM feedback_response r WHERE r.id = e.response_id))
"""
SQLITE_RANK = "-bm25(search_searchentry_fts, 10.0, 1.0)"
PER_KIND_SQL = """
    SELECT id, rank FROM (
        SELECT id, rank, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY rank DESC, id DESC) AS n
        FROM (SELECT e.id, e.kind, {rank} AS rank {match}) ranked
    ) numbered
    WHERE n <= %s ORDER BY rank DESC, id DESC
"""


@dataclass
class Hit:
    entry: SearchEntry
    rank: float
    snippet: str = ""


@dataclass
class SearchResults:
    query: str
    hits: list[Hit] = field(default_factory=list)
    count: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # by kind

    def groups(self) -> list[dict]:
        """Return the hits grouped by kind, in the index's kind order, with each kind's count."""
        labels = dict(SearchEntry.Kind.choices)
        by_kind: dict[str, list[Hit]] = {}
        for hit in self.hits:
            by_kind.setdefault(hit.entry.kind, []).append(hit)
        return [
            {"kind": kind, "label": labels[kind], "hits": by_kind.get(kind, []), "count": self.counts.get(kind, 0)}
            for kind in KIND_ORDER
            if self.counts.get(kind)
        ]


def _sql(team_ids: list[int], clauses: list[Clause], kind: str | None):
    kind_sql = "AND e.kind = %s" if kind else ""
    if connection.vendor == "postgresql":
        match = PG_MATCH.format(kind=kind_sql)
        params = [pg_tsquery(clauses), team_ids] + ([kind] if kind else [])
        return match, PG_RANK, params
    match = SQLITE_MATCH.format(teams=", ".join(["%s"] * len(team_ids)), kind=kind_sql)
    params = [fts5_query(clauses), *team_ids] + ([kind] if kind else [])
    return match, SQLITE_RANK, params


def search(
    *,
    user,
    q: str,
    team=None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
    per_kind: int | None = None,
    sync: bool = True,
) -> SearchResults:
    """Return the entries of ``user``'s teams (of ``team`` only, when given) that match ``q``.

    Ranked best first (ties: newest first), or the best ``per_kind`` of each kind; ``counts`` has
    every kind's number of hits, ``count`` the total under ``kind``. Another team's rows never
    match: the teams come from the memberships, whatever is asked.
    """
    results = SearchResults(query=q)
    clauses = query_clauses(q)
    visible = set(Team.objects.for_user(user).values_list("pk", flat=True))
    team_ids = sorted(visible if team is None else visible & {getattr(team, "pk", team)})
    if not clauses or not team_ids:
        return results
    if sync:
        teams_sync(team_ids)
    match, rank, params = _sql(team_ids, clauses, None)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT e.kind, COUNT(*) {match} GROUP BY e.kind", params)
        results.counts = dict(cursor.fetchall())
        results.count = results.counts.get(kind, 0) if kind else sum(results.counts.values())
        if not results.count:
            return results
        match, rank, params = _sql(team_ids, clauses, kind)
        if per_kind:
            # The best few of every kind, for a page that shows them grouped. The SQL is this
            # module's constants; the query text and ids are parameters.
            cursor.execute(PER_KIND_SQL.format(rank=rank, match=match), [*params, per_kind])
        else:
            cursor.execute(
                f"SELECT e.id, {rank} AS rank {match} ORDER BY rank DESC, e.id DESC LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
        ranked = cursor.fetchall()
    entries = SearchEntry.objects.select_related("journey_map").in_bulk([pk for pk, _ in ranked])
    for pk, score in ranked:
        entry = entries[pk]
        results.hits.append(Hit(entry, float(score), highlight(entry.body, q)))
    return results
