"""Results of a benchmark run: one row per measure, the ratio to its baseline, the target, the table."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Result:
    """One measured figure, next to the baseline measured in the same run when there is one.

    ``target`` is ``(op, limit)`` on the ``ratio`` when ``target_on == "ratio"``, on ``|ratio − 1|``
    when ``target_on == "deviation"``, else on the
    ``value``: ``(">=", 0.8)``, ``("<", 0.150)``, ``("==", 0)``, or None (reported, not judged).
    ``value`` None means the measure is not available; ``note`` says why.
    """

    benchmark: str
    measure: str
    value: float | None
    unit: str = ""
    baseline: float | None = None
    baseline_label: str = ""
    target: tuple[str, float] | None = None
    target_on: str = "value"
    n: int | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return ratio(self.value, self.baseline)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        judged = {"ratio": self.ratio, "deviation": None if self.ratio is None else abs(self.ratio - 1)}.get(
            self.target_on, self.value
        )
        if judged is None or (isinstance(judged, float) and math.isnan(judged)):
            return None
        op, limit = self.target
        return {
            ">=": judged >= limit,
            ">": judged > limit,
            "<=": judged <= limit,
            "<": judged < limit,
            "==": judged == limit,
        }[op]

    def as_dict(self) -> dict:
        data = asdict(self)
        data["ratio"] = None if self.ratio is None else round(self.ratio, 3)
        data["met"] = self.met
        data["target"] = None if self.target is None else f"{self.target_on} {self.target[0]} {self.target[1]:g}"
        data["target_spec"] = None if self.target is None else list(self.target)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Result:
        fields = {k: data.get(k) for k in ("benchmark", "measure", "value", "unit", "baseline", "baseline_label")}
        spec = data.get("target_spec")
        return cls(
            **fields,
            target=tuple(spec) if spec else None,
            target_on=data.get("target_on") or "value",
            n=data.get("n"),
            note=data.get("note") or "",
        )


def ratio(value: float | None, baseline: float | None) -> float | None:
    """Return ``value / baseline``, or None when either is missing or the baseline is zero."""
    if value is None or baseline is None or baseline == 0:
        return None
    return value / baseline


def not_available(benchmark: str, measure: str, reason: str, **kwargs) -> Result:
    return Result(benchmark, measure, None, note=f"not available: {reason}", **kwargs)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.2f} s"
    if unit in ("req/s", "rows"):
        return f"{value:,.0f} {unit}"
    if unit == "queries":
        return f"{value:.0f}"
    return f"{value:g} {unit}".strip()


def _fmt_target(result: Result) -> str:
    if result.target is None:
        return ""
    op, limit = result.target
    if result.target_on == "ratio":
        return f"ratio {op} {limit:g}"
    if result.target_on == "deviation":
        return f"within {limit:.0%} of the baseline"
    return f"{op} {_fmt(limit, result.unit)}"


def table(results: list[Result]) -> str:
    """Return the results as a Markdown table (printed by ``make bench``, pasted in docs)."""
    header = ["Benchmark", "Measure", "Product", "Baseline", "Ratio", "Target", "Met", "Note"]
    rows = [header, ["---"] * len(header)]
    for r in results:
        baseline = _fmt(r.baseline, r.unit)
        if r.baseline is not None and r.baseline_label:
            baseline = f"{baseline} ({r.baseline_label})"
        met = {True: "yes", False: "**no**", None: ""}[r.met]
        rows.append(
            [
                r.benchmark,
                r.measure,
                _fmt(r.value, r.unit),
                baseline if r.baseline is not None else "",
                "" if r.ratio is None else f"{r.ratio:.2f}",
                _fmt_target(r),
                met,
                r.note,
            ]
        )
    return "\n".join("| " + " | ".join(str(c) for c in row) + " |" for row in rows)


def read_json(path: Path) -> tuple[list[Result], dict]:
    data = json.loads(path.read_text())
    return [Result.from_dict(r) for r in data["results"]], data.get("meta", {})


def write_json(path: Path, results: list[Result], meta: dict) -> None:
    """Write the results atomically (``results.json.tmp`` then rename)."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"meta": meta, "results": [r.as_dict() for r in results]}, indent=2, default=str) + "\n")
    tmp.replace(path)
