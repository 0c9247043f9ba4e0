"""Stage figures in plain Python (no Django, no SQL): entered, conversion to the next stage, time in stage.

``moves`` are (id, person, stage, aware datetime) tuples: every stage transition of one map.
``order`` is the map's stages in order. Follows the rules written at the top of analytics/stages.py.
"""

from __future__ import annotations

import itertools
import math

Z = 1.959963984540054


def wilson(k, n):
    p = k / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / d
    return c - h, c + h


def median(values):
    s = sorted(values)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def median_interval(values):
    """The order statistics l and n − l + 1, l the smallest k with P(Binomial(n, ½) ≤ k) ≥ 2.5 %."""
    n = len(values)
    s = sorted(values)
    total, k = 0.0, 0
    while True:
        total += math.comb(n, k) / 2**n
        if total >= 0.025:
            break
        k += 1
    if n < 6 or k < 1:
        return None
    return s[k - 1], s[n - k]


def figures(moves, order, start, end):
    nxt = {s: (order[i + 1] if i + 1 < len(order) else None) for i, s in enumerate(order)}
    per = {}
    for m in sorted(moves, key=lambda m: (m[3], m[0])):
        per.setdefault(m[1], []).append(m)
    out = {s: {"entered": 0, "converted": 0, "stays": []} for s in order}
    for own in per.values():
        in_period = [m for m in own if start <= m[3] < end]
        seen = set()
        for i, m in enumerate(in_period):
            if m[2] in seen:
                continue
            seen.add(m[2])
            out[m[2]]["entered"] += 1
            if nxt[m[2]] is not None and any(later[2] == nxt[m[2]] for later in in_period[i + 1 :]):
                out[m[2]]["converted"] += 1
        for a, b in itertools.pairwise(own):
            if start <= b[3] < end:
                out[a[2]]["stays"].append((b[3] - a[3]).total_seconds())
    return out
