"""The statistics of experiment results: pure functions over numbers, no Django.

Every test returns a ``Comparison``. When the data cannot support a number (fewer than two
observations, no variance, a zero baseline) the comparison carries a ``reason`` in words instead
of the number, so nothing downstream ever shows NaN or infinity.

- proportions: the two-proportion z-test; the p-value uses the pooled standard error (the null
  hypothesis says both groups share one rate), the interval the unpooled one. Rates are reported
  in percent (0–100) and their change, interval and expected effect in percentage points, as an
  NPS is in points: one unit for everything a reader compares;
- means: Welch's t-test (scipy's ``ttest_ind_from_stats``) with Welch–Satterthwaite degrees of
  freedom, interval from the t distribution;
- NPS: the difference of two NPS (in points, −100…100) with the standard error of the difference,
  each group's NPS variance being ``(p + d − (p − d)²) / n``; normal interval and p-value.

``srm_check`` tests the sample ratio of an A/B design against its planned split (χ² goodness of
fit), and ``interrupted_time_series`` fits a segmented regression (level and slope change, statsmodels'
OLS) for before/after designs.

Units: ``absolute_change``, ``ci_low``, ``ci_high`` and ``expected_change`` are in the unit of
``baseline`` and ``treatment`` (percentage points for proportions, NPS points, the metric's own
unit for means and counts); ``relative_change`` is in percent of the baseline (12.5 means +12.5 %).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from feedback.nps import nps, nps_variance


class _LazyScipyStats:
    """scipy.stats, imported on first use: a slow import that most web and worker processes never need."""

    def __getattr__(self, name):
        from scipy import stats

        return getattr(stats, name)


sps = _LazyScipyStats()


def gettext_noop(message: str) -> str:
    """Mark a reason or note for the translation catalogs without importing Django.

    The texts stay English here; ``selectors.translated`` puts them in the reader's language.
    """
    return message


SRM_THRESHOLD = 0.001
PERCENT = 100.0  # a proportion's rate in percent, its changes in percentage points
ITS_MIN_POINTS = 8


@dataclass(frozen=True)
class ExpectedEffect:
    """The pre-registered effect: its direction and size, relative (% of the baseline) or absolute.

    An absolute size is in the unit the comparison reports: percentage points for a proportion.
    """

    direction: str  # "increase" or "decrease"
    size: float
    relative: bool = True

    def absolute_from(self, baseline: float | None) -> float | None:
        """Return the expected change in metric units (signed), or None when it cannot be known."""
        sign = 1.0 if self.direction == "increase" else -1.0
        if not self.relative:
            return sign * abs(self.size)
        if baseline is None or baseline == 0:
            return None
        return sign * abs(self.size) / 100.0 * abs(baseline)


@dataclass
class Comparison:
    """The observed change of a metric between baseline and treatment, and how sure we are of it."""

    test: str
    baseline: float | None = None
    treatment: float | None = None
    n_baseline: int = 0
    n_treatment: int = 0
    absolute_change: float | None = None
    relative_change: float | None = None  # in percent of the baseline (12.5 is +12.5 %), never a fraction
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float = 0.95
    statistic: float | None = None
    df: float | None = None
    p_value: float | None = None
    significant: bool | None = None
    expected_change: float | None = None
    reaches_expected: bool | None = None
    reason: str = ""  # why the test could not be computed; empty when it was
    notes: list[str] = field(default_factory=list)

    @property
    def computed(self) -> bool:
        return not self.reason

    def as_dict(self) -> dict:
        data = asdict(self)
        data["computed"] = self.computed
        return {key: _finite(value) for key, value in data.items()}


def _finite(value):
    """Return the value with every NaN or infinity turned into None (JSON and pages stay clean)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.floating):
        return _finite(float(value))
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _cannot(test: str, reason: str, **known) -> Comparison:
    return Comparison(test=test, reason=reason, **known)


def _relative(comparison: Comparison) -> None:
    if comparison.baseline in (None, 0):
        comparison.notes.append(gettext_noop("The baseline is zero, so the relative change cannot be computed."))
        comparison.relative_change = None
    else:
        comparison.relative_change = comparison.absolute_change / abs(comparison.baseline) * 100.0


def _judge(comparison: Comparison, alpha: float, expected: ExpectedEffect | None) -> Comparison:
    """Fill in significance, the relative change and whether the interval reaches the expected effect."""
    comparison.significant = bool(comparison.p_value is not None and comparison.p_value < alpha)
    _relative(comparison)
    if expected is not None:
        target = expected.absolute_from(comparison.baseline)
        comparison.expected_change = target
        if target is None:
            comparison.notes.append(gettext_noop("A relative expected effect cannot be placed on a zero baseline."))
        elif comparison.ci_low is not None and comparison.ci_high is not None:
            # The interval "reaches" the expected effect when an effect at least that large, in
            # the predicted direction, is still compatible with the data.
            comparison.reaches_expected = bool(
                comparison.ci_high >= target if target >= 0 else comparison.ci_low <= target
            )
    return comparison


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie strictly between 0 and 1")


def two_proportions(
    *,
    successes_a: int,
    n_a: int,
    successes_b: int,
    n_b: int,
    alpha: float = 0.05,
    expected: ExpectedEffect | None = None,
) -> Comparison:
    """Compare the rate of group B (treatment) with group A (baseline) by the two-proportion z-test.

    The rates come back in percent and the change, its interval and the expected change in
    percentage points (an ``expected`` absolute size of 2 is 2 points).
    """
    _check_alpha(alpha)
    test = "two_proportion_z"
    known = {"n_baseline": n_a, "n_treatment": n_b, "confidence": 1 - alpha}
    if n_a < 2 or n_b < 2:
        return _cannot(test, gettext_noop("Each group needs a sample of at least 2."), **known)
    if not (0 <= successes_a <= n_a and 0 <= successes_b <= n_b):
        return _cannot(test, gettext_noop("Successes must lie between 0 and the sample size."), **known)
    p_a, p_b = successes_a / n_a, successes_b / n_b
    known.update(baseline=PERCENT * p_a, treatment=PERCENT * p_b)
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se_pooled == 0:
        return _cannot(
            test, gettext_noop("No variance: every observation in both groups has the same outcome."), **known
        )
    diff = p_b - p_a
    z = diff / se_pooled
    se_unpooled = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    crit = float(sps.norm.ppf(1 - alpha / 2))
    result = Comparison(
        test=test,
        absolute_change=PERCENT * diff,
        ci_low=PERCENT * (diff - crit * se_unpooled),
        ci_high=PERCENT * (diff + crit * se_unpooled),
        statistic=z,
        p_value=float(2 * sps.norm.sf(abs(z))),
        **known,
    )
    return _judge(result, alpha, expected)


def welch(
    *,
    mean_a: float,
    sd_a: float,
    n_a: int,
    mean_b: float,
    sd_b: float,
    n_b: int,
    alpha: float = 0.05,
    expected: ExpectedEffect | None = None,
) -> Comparison:
    """Compare the mean of group B with group A by Welch's t-test (Welch–Satterthwaite df)."""
    _check_alpha(alpha)
    test = "welch_t"
    known = {"n_baseline": n_a, "n_treatment": n_b, "confidence": 1 - alpha, "baseline": mean_a, "treatment": mean_b}
    if n_a < 2 or n_b < 2:
        return _cannot(test, gettext_noop("Each group needs a sample of at least 2."), **known)
    if sd_a < 0 or sd_b < 0:
        return _cannot(test, gettext_noop("A standard deviation cannot be negative."), **known)
    var_a, var_b = sd_a**2 / n_a, sd_b**2 / n_b
    se = math.sqrt(var_a + var_b)
    if se == 0:
        return _cannot(test, gettext_noop("No variance: both groups have a standard deviation of zero."), **known)
    t, p_value = sps.ttest_ind_from_stats(mean_b, sd_b, n_b, mean_a, sd_a, n_a, equal_var=False)
    # scipy's result from summary statistics carries neither the degrees of freedom nor an interval.
    df = (var_a + var_b) ** 2 / (var_a**2 / (n_a - 1) + var_b**2 / (n_b - 1))
    diff = mean_b - mean_a
    crit = float(sps.t.ppf(1 - alpha / 2, df))
    result = Comparison(
        test=test,
        absolute_change=diff,
        ci_low=diff - crit * se,
        ci_high=diff + crit * se,
        statistic=float(t),
        df=df,
        p_value=float(p_value),
        **known,
    )
    return _judge(result, alpha, expected)


def nps_difference(
    *,
    promoters_a: int,
    detractors_a: int,
    n_a: int,
    promoters_b: int,
    detractors_b: int,
    n_b: int,
    alpha: float = 0.05,
    expected: ExpectedEffect | None = None,
) -> Comparison:
    """Compare the NPS of group B with group A: difference in points, its SE, normal CI and p-value."""
    _check_alpha(alpha)
    test = "nps_difference"
    known = {"n_baseline": n_a, "n_treatment": n_b, "confidence": 1 - alpha}
    if n_a < 2 or n_b < 2:
        return _cannot(test, gettext_noop("Each group needs at least 2 answers."), **known)
    if promoters_a + detractors_a > n_a or promoters_b + detractors_b > n_b or min(promoters_a, detractors_a) < 0:
        return _cannot(test, gettext_noop("Promoters and detractors cannot outnumber the answers."), **known)
    score_a, score_b = nps(promoters_a, detractors_a, n_a), nps(promoters_b, detractors_b, n_b)
    known.update(baseline=score_a, treatment=score_b)
    se = math.sqrt(nps_variance(promoters_a, detractors_a, n_a) + nps_variance(promoters_b, detractors_b, n_b))
    if se == 0:
        return _cannot(
            test, gettext_noop("No variance: every answer in both groups falls in the same NPS group."), **known
        )
    diff = score_b - score_a
    z = diff / se
    crit = float(sps.norm.ppf(1 - alpha / 2))
    result = Comparison(
        test=test,
        absolute_change=diff,
        ci_low=diff - crit * se,
        ci_high=diff + crit * se,
        statistic=z,
        p_value=float(2 * sps.norm.sf(abs(z))),
        **known,
    )
    return _judge(result, alpha, expected)


def describe_change(*, baseline: float, treatment: float, n_a: int = 0, n_b: int = 0, reason: str) -> Comparison:
    """Return the bare change where no test applies (e.g. raw counts), with the reason why."""
    result = Comparison(
        test="descriptive", baseline=baseline, treatment=treatment, n_baseline=n_a, n_treatment=n_b, reason=reason
    )
    result.absolute_change = treatment - baseline
    _relative(result)
    return result


def pool_means(groups: list[tuple[int, float, float]]) -> tuple[int, float, float]:
    """Combine ``(n, mean, sd)`` groups into one ``(n, mean, sd)`` (within- and between-group spread)."""
    total = sum(n for n, _, _ in groups)
    if total == 0:
        return 0, 0.0, 0.0
    mean = sum(n * m for n, m, _ in groups) / total
    if total < 2:
        return total, mean, 0.0
    ss = sum((n - 1) * sd**2 + n * (m - mean) ** 2 for n, m, sd in groups)
    return total, mean, math.sqrt(ss / (total - 1))


@dataclass
class SampleRatioCheck:
    """Whether the A/B groups' sizes match the planned split (χ² goodness of fit)."""

    n_control: int
    n_treatment: int
    planned_treatment_share: float
    chi2: float | None = None
    p_value: float | None = None
    mismatch: bool | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return {key: _finite(value) for key, value in asdict(self).items()}


def srm_check(*, n_control: int, n_treatment: int, treatment_share: float = 0.5) -> SampleRatioCheck:
    """Test the observed group sizes against the planned split; a mismatch is flagged at p < 0.001."""
    check = SampleRatioCheck(n_control, n_treatment, treatment_share)
    total = n_control + n_treatment
    if not 0 < treatment_share < 1:
        check.reason = gettext_noop("The planned split must give both groups a share.")
        return check
    if total == 0:
        check.reason = gettext_noop("No sample in either group.")
        return check
    expected = [total * (1 - treatment_share), total * treatment_share]
    chi2, p = sps.chisquare([n_control, n_treatment], f_exp=expected)
    check.chi2, check.p_value = float(chi2), float(p)
    check.mismatch = check.p_value < SRM_THRESHOLD
    return check


@dataclass
class TimeSeriesFit:
    """A segmented regression: ``y = b0 + b1·t + b2·after + b3·(t − t0)·after``.

    The level change is in the unit of ``y``; the slopes are in the unit of ``y`` per unit of
    ``t`` (the experiment analysis passes days, so per day).
    """

    n_before: int
    n_after: int
    level_change: float | None = None
    level_change_se: float | None = None
    level_change_p: float | None = None
    slope_change: float | None = None
    slope_change_se: float | None = None
    slope_change_p: float | None = None
    slope_before: float | None = None
    df: int | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return {key: _finite(value) for key, value in asdict(self).items()}


def interrupted_time_series(
    times: list[float], values: list[float], interruption: float, *, min_points: int = ITS_MIN_POINTS
) -> TimeSeriesFit:
    """Fit level and slope change at ``interruption`` by OLS with their standard errors.

    Points at or after ``interruption`` are "after". Needs ``min_points`` on each side.
    """
    t = np.asarray(times, dtype=float)
    y = np.asarray(values, dtype=float)
    after = (t >= interruption).astype(float)
    fit = TimeSeriesFit(n_before=int((after == 0).sum()), n_after=int(after.sum()))
    if fit.n_before < min_points or fit.n_after < min_points:
        fit.reason = f"An interrupted-time-series fit needs at least {min_points} observations on each side."
        return fit
    X = np.column_stack([np.ones_like(t), t, after, (t - interruption) * after])
    if np.linalg.matrix_rank(X.T @ X) < X.shape[1]:
        fit.reason = gettext_noop("The observation times cannot separate a level change from a slope change.")
        return fit
    from statsmodels.regression.linear_model import OLS  # imported on first use, like scipy.stats

    result = OLS(y, X).fit()
    beta, se = result.params, result.bse
    fit.df = int(result.df_resid)
    fit.slope_before = float(beta[1])
    fit.level_change, fit.slope_change = float(beta[2]), float(beta[3])
    fit.level_change_se, fit.slope_change_se = float(se[2]), float(se[3])
    if se[2] > 0:
        fit.level_change_p = float(result.pvalues[2])
    if se[3] > 0:
        fit.slope_change_p = float(result.pvalues[3])
    return fit
