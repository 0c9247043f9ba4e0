"""Turn a stored or previewed result into table rows of words and rounded numbers.

The analysis is already in the units it is read in (a proportion's rates in percent, its changes
in percentage points): this only rounds and labels.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

TEST_NAMES = {
    "two_proportion_z": _("Two-proportion z-test"),
    "welch_t": _("Welch's t-test"),
    "nps_difference": _("NPS difference (normal)"),
    "descriptive": _("No test (raw counts)"),
    "none": "—",
}


def _text(message: str) -> str:
    """Return a stored reason or note in the reader's language when the catalogs know it.

    A result keeps the words it was computed in; those from before the translations are English
    and are translated here. gettext("") would return the catalog's header, hence the guard.
    """
    return gettext(message) if message else ""


def _num(value, kind: str, *, change: bool = False) -> str:
    if value is None:
        return "—"
    if kind == "proportion":
        if change:
            # Translators: "pp" is percentage points, the unit of a change of a rate.
            return gettext("%(value)s pp") % {"value": f"{value:+.2f}"}
        return f"{value:.2f} %"
    if kind == "nps":
        # Translators: "pts" is NPS points.
        return gettext("%(value)s pts") % {"value": f"{value:+.1f}"} if change else f"{value:.1f}"
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
            ci = gettext("%(low)s to %(high)s") % {
                "low": _num(c["ci_low"], kind, change=True),
                "high": _num(c["ci_high"], kind, change=True),
            }
        its = entry.get("its") or {}
        rows.append(
            {
                "role": entry["role"],
                "metric": entry["metric"],
                "test": TEST_NAMES.get(c.get("test"), c.get("test")),
                "test_key": c.get("test"),
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
                "reason": _text(c.get("reason") or ""),
                "notes": [_text(note) for note in c.get("notes") or []],
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
        return _text(its["reason"])
    level = _num(its.get("level_change"), kind, change=True)
    level_se = _num(its.get("level_change_se"), kind, change=True).lstrip("+")
    slope = _num(its.get("slope_change"), kind, change=True)
    slope_se = _num(its.get("slope_change_se"), kind, change=True).lstrip("+")
    return gettext(
        "Level change %(level)s (SE %(level_se)s, p %(level_p)s); "
        "slope change %(slope)s per day (SE %(slope_se)s, p %(slope_p)s)."
    ) % {
        "level": level,
        "level_se": level_se,
        "level_p": _p(its.get("level_change_p")),
        "slope": slope,
        "slope_se": slope_se,
        "slope_p": _p(its.get("slope_change_p")),
    }


def result_summary(analysis: dict | None) -> dict:
    """Return the analysis' outcome, its reason and the sample ratio check's reason in the reader's language."""
    analysis = analysis or {}
    outcome = analysis.get("outcome")
    labels = {"supported": _("Supported"), "refuted": _("Refuted"), "inconclusive": _("Inconclusive")}
    return {
        "outcome_label": str(labels.get(outcome, outcome or "")).lower(),
        "outcome_reason": _text(analysis.get("outcome_reason") or ""),
        "srm_reason": _text((analysis.get("srm") or {}).get("reason") or ""),
    }
