"""The Net Promoter Score, written once for the survey statistics and the experiments (no Django).

Promoters answer 9–10 and detractors 0–6 on the 0–10 question; NPS = 100 · (p − d), p and d the
shares of promoters and detractors among the ``n`` who answered, and its sampling variance is
100² · (p + d − (p − d)²) / n.
"""

from __future__ import annotations

PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def nps(promoters: int, detractors: int, n: int) -> float:
    """Return the NPS in points (−100…100)."""
    return 100.0 * (promoters - detractors) / n


def nps_variance(promoters: int, detractors: int, n: int) -> float:
    """Return the sampling variance of an NPS in points²: 100² · (p + d − (p − d)²) / n."""
    p, d = promoters / n, detractors / n
    return 10_000.0 * max(p + d - (p - d) ** 2, 0.0) / n
