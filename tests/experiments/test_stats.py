"""The statistics match SciPy and textbook computations to 1e-6, edge cases included."""

import json
import math

import numpy as np
import pytest
from scipy import stats as sps

from experiments import stats
from experiments.stats import ExpectedEffect

TOL = 1e-6


def test_two_proportions_matches_hand_computed_z_test():
    # 120/1000 vs 150/1000: pooled SE for the test, unpooled SE for the interval.
    result = stats.two_proportions(successes_a=120, n_a=1000, successes_b=150, n_b=1000)
    p1, p2, pooled = 0.12, 0.15, 270 / 2000
    se_pooled = math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    se_unpooled = math.sqrt(p1 * (1 - p1) / 1000 + p2 * (1 - p2) / 1000)
    z = (p2 - p1) / se_pooled
    assert result.statistic == pytest.approx(z, abs=TOL)
    assert result.p_value == pytest.approx(2 * (1 - sps.norm.cdf(abs(z))), abs=TOL)
    # Rates in percent, the change and its interval in percentage points.
    assert (result.baseline, result.treatment) == (pytest.approx(12.0), pytest.approx(15.0))
    assert result.ci_low == pytest.approx(100 * (0.03 - 1.959963984540054 * se_unpooled), abs=TOL)
    assert result.ci_high == pytest.approx(100 * (0.03 + 1.959963984540054 * se_unpooled), abs=TOL)
    assert result.absolute_change == pytest.approx(3.0, abs=TOL)
    assert result.relative_change == pytest.approx(25.0, abs=TOL)
    assert result.significant is True  # p ≈ 0.0497


def test_two_proportions_p_value_equals_uncorrected_chi_square():
    result = stats.two_proportions(successes_a=45, n_a=310, successes_b=61, n_b=298)
    chi2, p, _, _ = sps.chi2_contingency([[45, 310 - 45], [61, 298 - 61]], correction=False)
    assert result.p_value == pytest.approx(p, abs=TOL)
    assert result.statistic**2 == pytest.approx(chi2, abs=TOL)


def test_two_proportions_interval_follows_alpha():
    wide = stats.two_proportions(successes_a=45, n_a=310, successes_b=61, n_b=298, alpha=0.01)
    narrow = stats.two_proportions(successes_a=45, n_a=310, successes_b=61, n_b=298, alpha=0.10)
    se = (wide.ci_high - wide.absolute_change) / sps.norm.ppf(0.995)
    assert narrow.ci_high - narrow.absolute_change == pytest.approx(se * sps.norm.ppf(0.95), abs=TOL)
    assert wide.confidence == pytest.approx(0.99)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((1, 4.0, 10), (2.0, 4.5, 12)),
        ((10.2, 3.1, 35), (11.9, 6.4, 18)),
        ((100.0, 20.0, 2), (130.0, 5.0, 3)),
    ],
)
def test_welch_matches_scipy_from_summary_stats(a, b):
    mean_a, sd_a, n_a = a
    mean_b, sd_b, n_b = b
    result = stats.welch(mean_a=mean_a, sd_a=sd_a, n_a=n_a, mean_b=mean_b, sd_b=sd_b, n_b=n_b)
    ref = sps.ttest_ind_from_stats(mean_b, sd_b, n_b, mean_a, sd_a, n_a, equal_var=False)
    assert result.statistic == pytest.approx(ref.statistic, abs=TOL)
    assert result.p_value == pytest.approx(ref.pvalue, abs=TOL)


def test_welch_df_and_interval_match_scipy_on_raw_data():
    rng = np.random.default_rng(7)
    a, b = rng.normal(10, 2, 23), rng.normal(11, 4, 31)
    result = stats.welch(
        mean_a=a.mean(), sd_a=a.std(ddof=1), n_a=len(a), mean_b=b.mean(), sd_b=b.std(ddof=1), n_b=len(b)
    )
    ref = sps.ttest_ind(b, a, equal_var=False)
    interval = ref.confidence_interval(0.95)
    assert result.df == pytest.approx(ref.df, abs=TOL)
    assert result.ci_low == pytest.approx(interval.low, abs=TOL)
    assert result.ci_high == pytest.approx(interval.high, abs=TOL)
    assert result.p_value == pytest.approx(ref.pvalue, abs=TOL)


def test_nps_difference_matches_textbook_formula():
    # A: 50 promoters, 20 detractors of 100 (NPS 30); B: 130 of 200 promoters, 30 detractors (NPS 50).
    result = stats.nps_difference(promoters_a=50, detractors_a=20, n_a=100, promoters_b=130, detractors_b=30, n_b=200)
    var_a = (0.5 + 0.2 - 0.3**2) / 100
    var_b = (0.65 + 0.15 - 0.5**2) / 200
    se = 100 * math.sqrt(var_a + var_b)
    assert result.baseline == pytest.approx(30.0, abs=TOL)
    assert result.treatment == pytest.approx(50.0, abs=TOL)
    assert result.absolute_change == pytest.approx(20.0, abs=TOL)
    assert result.statistic == pytest.approx(20 / se, abs=TOL)
    assert result.p_value == pytest.approx(2 * sps.norm.sf(20 / se), abs=TOL)
    assert result.ci_low == pytest.approx(20 - 1.959963984540054 * se, abs=TOL)
    assert result.ci_high == pytest.approx(20 + 1.959963984540054 * se, abs=TOL)


def test_nps_margin_of_error_matches_design_formula():
    # DESIGN.md: margin = 100 · 1.96 · sqrt((p + d − (p − d)²) / n)
    margin = 1.96 * math.sqrt(stats.nps_variance(50, 20, 100))
    assert margin == pytest.approx(100 * 1.96 * math.sqrt((0.5 + 0.2 - 0.09) / 100), abs=TOL)


def test_expected_effect_reached_and_missed():
    expected = ExpectedEffect(direction="increase", size=8, relative=True)
    reached = stats.two_proportions(successes_a=300, n_a=1000, successes_b=340, n_b=1000, expected=expected)
    assert reached.expected_change == pytest.approx(2.4, abs=TOL)  # 8 % of a 30 % rate: 2.4 points
    assert reached.reaches_expected is True
    missed = stats.two_proportions(successes_a=3000, n_a=10000, successes_b=3005, n_b=10000, expected=expected)
    assert missed.reaches_expected is False
    assert missed.significant is False


def test_expected_decrease_uses_the_lower_bound():
    expected = ExpectedEffect(direction="decrease", size=1.0, relative=False)
    result = stats.welch(mean_a=5.0, sd_a=1.0, n_a=100, mean_b=3.5, sd_b=1.0, n_b=100, expected=expected)
    assert result.expected_change == -1.0
    assert result.ci_low < -1.0
    assert result.reaches_expected is True


@pytest.mark.parametrize(
    ("call", "reason_part"),
    [
        (lambda: stats.two_proportions(successes_a=1, n_a=1, successes_b=5, n_b=10), "at least 2"),
        (lambda: stats.two_proportions(successes_a=0, n_a=50, successes_b=0, n_b=50), "No variance"),
        (lambda: stats.two_proportions(successes_a=50, n_a=50, successes_b=40, n_b=40), "No variance"),
        (lambda: stats.welch(mean_a=1, sd_a=0, n_a=10, mean_b=2, sd_b=0, n_b=10), "No variance"),
        (lambda: stats.welch(mean_a=1, sd_a=1, n_a=1, mean_b=2, sd_b=1, n_b=10), "at least 2"),
        (
            lambda: stats.nps_difference(promoters_a=5, detractors_a=0, n_a=5, promoters_b=9, detractors_b=0, n_b=9),
            "No variance",
        ),
        (
            lambda: stats.nps_difference(promoters_a=1, detractors_a=0, n_a=1, promoters_b=9, detractors_b=0, n_b=9),
            "at least 2",
        ),
    ],
)
def test_edge_cases_give_a_reason_instead_of_numbers(call, reason_part):
    result = call()
    assert not result.computed
    assert reason_part in result.reason
    assert result.p_value is None and result.ci_low is None
    json.dumps(result.as_dict(), allow_nan=False)


def test_zero_baseline_keeps_the_test_but_not_the_relative_change():
    result = stats.two_proportions(
        successes_a=0, n_a=200, successes_b=12, n_b=200, expected=ExpectedEffect("increase", 8, relative=True)
    )
    assert result.computed
    assert result.absolute_change == pytest.approx(6.0, abs=TOL)
    assert result.relative_change is None
    assert result.reaches_expected is None
    assert any("zero" in note for note in result.notes)
    json.dumps(result.as_dict(), allow_nan=False)


def test_srm_check_matches_scipy_chisquare_and_flags_mismatch():
    ok = stats.srm_check(n_control=5020, n_treatment=4980)
    chi2, p = sps.chisquare([5020, 4980])
    assert ok.chi2 == pytest.approx(chi2, abs=TOL)
    assert ok.p_value == pytest.approx(p, abs=TOL)
    assert ok.mismatch is False
    bad = stats.srm_check(n_control=5300, n_treatment=4700)
    assert bad.mismatch is True
    uneven = stats.srm_check(n_control=8000, n_treatment=2000, treatment_share=0.2)
    assert uneven.p_value == pytest.approx(1.0, abs=TOL)


def test_srm_check_without_sample_says_why():
    check = stats.srm_check(n_control=0, n_treatment=0)
    assert check.mismatch is None and "No sample" in check.reason


def test_interrupted_time_series_matches_two_separate_regressions():
    rng = np.random.default_rng(3)
    t = np.arange(20, dtype=float)
    t0 = 10.0
    y = 5 + 0.2 * t + np.where(t >= t0, 3 + 0.5 * (t - t0), 0) + rng.normal(0, 0.3, 20)
    fit = stats.interrupted_time_series(list(t), list(y), t0)
    before, after = sps.linregress(t[:10], y[:10]), sps.linregress(t[10:], y[10:])
    level = (after.intercept + after.slope * t0) - (before.intercept + before.slope * t0)
    assert fit.level_change == pytest.approx(level, abs=TOL)
    assert fit.slope_change == pytest.approx(after.slope - before.slope, abs=TOL)
    # Textbook: with a pooled residual variance s², var(slope change) = s²(1/Sxx_before + 1/Sxx_after).
    rss = sum(
        ((y[s] - (r.intercept + r.slope * t[s])) ** 2).sum()
        for s, r in ((slice(0, 10), before), (slice(10, 20), after))
    )
    s2 = rss / (20 - 4)
    sxx = ((t[:10] - t[:10].mean()) ** 2).sum()
    assert fit.slope_change_se == pytest.approx(math.sqrt(s2 * (2 / sxx)), abs=TOL)
    assert fit.df == 16


def test_interrupted_time_series_needs_eight_points_each_side():
    fit = stats.interrupted_time_series(list(range(15)), [1.0] * 15, 8)
    assert fit.level_change is None and "8" in fit.reason


def test_pool_means_matches_raw_data():
    rng = np.random.default_rng(1)
    parts = [rng.normal(5, 2, n) for n in (10, 25, 7)]
    n, mean, sd = stats.pool_means([(len(p), p.mean(), p.std(ddof=1)) for p in parts])
    allv = np.concatenate(parts)
    assert n == 42
    assert mean == pytest.approx(allv.mean(), abs=TOL)
    assert sd == pytest.approx(allv.std(ddof=1), abs=TOL)
