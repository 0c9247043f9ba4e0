"""An independent stage funnel per published version, in plain Python (no Django, no engine code).

``moves`` are (id, person, stage key, aware datetime) tuples, the stage transitions the test wrote.
A version is live from its publish time to the next one's; an entry is a person's first move into the
version's first stage while it was live; each next stage is the earliest move into it after the
previous step, within the window. Wilson and Newcombe's intervals are written out.
"""

from __future__ import annotations

import math
from datetime import timedelta

Z = 1.959963984540054


def wilson(k: int, n: int):
    if n == 0:
        return None
    p = k / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / d
    return c - h, c + h


def newcombe(k_before: int, n_before: int, k_after: int, n_after: int):
    """Newcombe's hybrid score interval (method 10) for p_after − p_before."""
    if n_before == 0 or n_after == 0:
        return None
    p1, p2 = k_after / n_after, k_before / n_before
    l1, u1 = wilson(k_after, n_after)
    l2, u2 = wilson(k_before, n_before)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def stage_funnel(moves, stages: list[str], start, end, window=timedelta(days=30)):
    """Return per step (entered, converted) and the whole funnel's (completed, entries)."""
    by_person: dict = {}
    for move in sorted(moves, key=lambda m: (m[3], m[0])):
        by_person.setdefault(move[1], []).append(move)
    entered = [0] * len(stages)
    converted = [0] * len(stages)
    completed = entries = 0
    for _person, own in by_person.items():
        first = [i for i, m in enumerate(own) if m[2] == stages[0] and start <= m[3] < end]
        if not first:
            continue
        entries += 1
        at = first[0]
        entered[0] += 1
        converted[0] += 1
        done = True
        for step in range(1, len(stages)):
            entered[step] += 1
            hit = next(
                (j for j in range(at + 1, len(own)) if own[j][2] == stages[step] and own[j][3] - own[at][3] <= window),
                None,
            )
            if hit is None:
                done = False
                break
            converted[step] += 1
            at = hit
        completed += done
    return list(zip(entered, converted, strict=True)), (completed, entries)
