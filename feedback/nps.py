"""The Net Promoter Score, written once for the survey statistics and the experiments (no Django).

Promoters answer 9–10 and detractors 0–6 on the 0–10 question; NPS = 100 · (p − d), p and d the
shares of promoters and detractors among the ``n`` who answered. The sampling variance of p − d is
(p + d − (p − d)²) / n, so the NPS's is 100² times that.
"""

from __future__ import annotations

PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def nps(promoters: int, detractors: int, n: int) -> float:
    """Return the NPS in points (−100…100)."""
    p, d = promoters / n, detractors / n
    return 100 * (p - d)


def share_variance(promoters: int, detractors: int, n: int) -> float:
    """Return the sampling variance of p − d (shares, not points): (p + d − (p − d)²) / n."""
    p, d = promoters / n, detractors / n
    return max(p + d - (p - d) ** 2, 0.0) / n


def nps_variance(promoters: int, detractors: int, n: int) -> float:
    """Return the sampling variance of an NPS in points²."""
    return 10_000.0 * share_variance(promoters, detractors, n)
