"""Turn a stored or previewed result into table rows of words and rounded numbers.

The analysis is already in the units it is read in (a proportion's rates in percent, its changes
in percentage points): this only rounds and labels.
"""

from __future__ import annotations

TEST_NAMES = {
    "two_proportion_z": "Two-proportion z-test",
    "welch_t": "Welch's t-test",
    "nps_difference": "NPS difference (normal)",
    "descriptive": "No test (raw counts)",
    "none": "—",
}


def _num(value, kind: str, *, change: bool = False) -> str:
    if value is None:
        return "—"
    if kind == "proportion":
        text = f"{value:+.2f}" if change else f"{value:.2f}"
        return f"{text} {'pp' if change else '%'}"
    if kind == "nps":
        return f"{value:+.1f} pts" if change else f"{value:.1f}"
    return f"{value:+.3g}" if change else f"{value:.4g}"


def _p(value) -> str:
    if value is None:
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def result_rows(analysis: dict | None) -> list[dict]:
    """Return one row per metric with formatted values, and its reason where nothing could be computed."""
    rows = []
    for entry in (analysis or {}).get("metrics", []):
        c = entry["comparison"]
        kind = entry["metric"]["kind"]
        rel = c.get("relative_change")
        ci = "—"
        if c.get("ci_low") is not None and c.get("ci_high") is not None:
            ci = f"{_num(c['ci_low'], kind, change=True)} to {_num(c['ci_high'], kind, change=True)}"
        its = entry.get("its") or {}
        rows.append(
            {
                "role": entry["role"],
                "metric": entry["metric"],
                "test": TEST_NAMES.get(c.get("test"), c.get("test")),
                "baseline": _num(c.get("baseline"), kind),
                "treatment": _num(c.get("treatment"), kind),
                "n": f"{c.get('n_baseline') or 0:,} / {c.get('n_treatment') or 0:,}",
                "change": _num(c.get("absolute_change"), kind, change=True),
                "relative": "—" if rel is None else f"{rel:+.1f} %",
                "ci": ci,
                "confidence": round((c.get("confidence") or 0.95) * 100),
                "p": _p(c.get("p_value")),
                "significant": c.get("significant"),
                "reaches_expected": c.get("reaches_expected"),
                "expected": _num(c.get("expected_change"), kind, change=True)
                if c.get("expected_change") is not None
                else None,
                "reason": c.get("reason") or "",
                "notes": c.get("notes") or [],
                "worsened": entry.get("worsened", False),
                "its": its,
                "its_text": _its_text(its, kind),
            }
        )
    return rows


def _its_text(its: dict, kind: str) -> str:
    if not its:
        return ""
    if its.get("reason"):
        return its["reason"]
    level = _num(its.get("level_change"), kind, change=True)
    level_se = _num(its.get("level_change_se"), kind, change=True).lstrip("+")
    slope = _num(its.get("slope_change"), kind, change=True)
    slope_se = _num(its.get("slope_change_se"), kind, change=True).lstrip("+")
    return (
        f"Level change {level} (SE {level_se}, p {_p(its.get('level_change_p'))}); "
        f"slope change {slope} per day (SE {slope_se}, p {_p(its.get('slope_change_p'))})."
    )
