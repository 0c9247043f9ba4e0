"""The benchmark harness's own arithmetic: ratios, targets, the table and the data generator's spread.

The benchmarks themselves never run in the test suite (they need PostgreSQL, gunicorn and wrk and
take minutes); these checks are pure Python and take well under a second.
"""

from collections import Counter
from datetime import UTC, datetime, timedelta

from bench.common import median, percentile
from bench.datagen import _response_rows
from bench.results import Result, ratio, table


def test_ratio_is_value_over_baseline_and_none_without_a_baseline():
    assert ratio(45.0, 90.0) == 0.5
    assert ratio(1.0, 0) is None
    assert ratio(None, 2.0) is None


def test_result_judges_the_ratio_or_the_value_as_its_target_says():
    throughput = Result("submit", "rps", 720.0, "req/s", baseline=900.0, target=(">=", 0.8), target_on="ratio")
    assert throughput.met is True
    slow = Result("maps", "p50", 0.2, "s", target=("<", 0.150))
    assert slow.met is False
    missing = Result("stats", "map", None, "s", target=("<=", 1.5), target_on="ratio")
    assert missing.met is None
    assert throughput.as_dict()["ratio"] == 0.8
    assert throughput.as_dict()["target"] == "ratio >= 0.8"


def test_a_deviation_target_judges_the_distance_from_the_baseline_either_way():
    def limit(let_through):
        return Result("submit", "rate limit", let_through, baseline=300.0, target=("<=", 0.10), target_on="deviation")

    assert [limit(n).met for n in (300.0, 329.0, 271.0, 331.0, 269.0)] == [True, True, True, False, False]
    assert "within 10%" in table([limit(300.0)])


def test_table_has_a_row_per_result_with_ratio_and_verdict():
    rows = table(
        [
            Result("submit", "rps", 720.0, "req/s", baseline=900.0, target=(">=", 0.8), target_on="ratio"),
            Result("maps", "p50", 0.2, "s", target=("<", 0.150)),
        ]
    ).splitlines()
    assert len(rows) == 4
    assert "| 720 req/s | 900 req/s | 0.80 | ratio >= 0.8 | yes |" in rows[2]
    assert "200.0 ms" in rows[3] and "**no**" in rows[3]


def test_median_and_nearest_rank_percentile():
    assert median([3.0, 1.0, 2.0]) == 2.0
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0


def test_generator_spreads_answers_over_the_period_weekdays_and_touchpoints():
    end = datetime(2025, 6, 30, tzinfo=UTC)
    surveys = [(1, "nps", 0.6), (2, "csat", 0.3), (3, "ces", 0.1)]
    touchpoints = list(range(100, 140))
    rows = list(
        _response_rows(
            team_id=1,
            surveys=surveys,
            touchpoints=touchpoints,
            stage_of={tp: tp // 5 for tp in touchpoints},
            n=20_000,
            days=365,
            end=end,
            seed=1,
            prefix="t",
        )
    )
    assert len(rows) == 20_000
    assert len({r[4] for r in rows}) == 20_000  # submission ids are unique
    created = [r[14] for r in rows]
    assert min(created) >= end - timedelta(days=365) and max(created) < end
    assert created == sorted(created)
    # growth over the year: the last quarter has more answers than the first
    assert sum(c >= end - timedelta(days=91) for c in created) > sum(c < end - timedelta(days=274) for c in created)
    # weekdays are busier than weekend days
    by_day = Counter(c.weekday() for c in created)
    assert min(by_day[d] for d in range(5)) > max(by_day[5], by_day[6])
    # every touchpoint gets answers, some far more than others
    per_tp = Counter(r[2] for r in rows)
    assert len(per_tp) == 40 and max(per_tp.values()) > 3 * min(per_tp.values())
    # survey shares follow the weights, and scores stay on each metric's scale
    per_survey = Counter(r[1] for r in rows)
    assert per_survey[1] > per_survey[2] > per_survey[3]
    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    for r in rows:
        if r[5] is not None:
            low, high = scales[r[6]]
            assert low <= r[5] <= high
        assert r[3] == r[2] // 5  # the stage is the touchpoint's


def test_cpu_by_group_counts_the_server_and_its_children_only():
    import subprocess
    import sys

    from bench.common import cpu_times_by_group

    # A "server" whose child burns 0.4 s of CPU: the server group must see it; a busy process
    # outside the tree must not be counted. (Burnt by the clock, not by a count of additions,
    # which took under 0.1 s on a fast machine and left the test waiting for nothing.)
    # (The child stays alive, as gunicorn workers and PostgreSQL backends do: the CPU of a process
    # that has exited moves to its parent's children counters, which the reader leaves out.)
    burn = "import time\nwhile time.process_time() < 0.4: pass\n"
    child = burn + "time.sleep(5)"
    code = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {child!r}])"
    server = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(0.2); {code}; time.sleep(5)"])
    outsider = subprocess.Popen([sys.executable, "-c", burn + "time.sleep(5)"])
    try:
        before = cpu_times_by_group(server.pid)
        import time

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if cpu_times_by_group(server.pid)["gunicorn"] - before["gunicorn"] >= 0.1:
                break
        after = cpu_times_by_group(server.pid)
    finally:
        server.kill()
        outsider.kill()
    # celery: the ingestion benchmark's worker (bench/ingest.py), counted apart from the server.
    # postgres_db: the benchmark database's own backends, a part of postgres (not added to the sum).
    assert set(after) == {"gunicorn", "postgres", "redis", "celery", "postgres_db"}
    assert after["postgres_db"] <= after["postgres"]
    assert after["gunicorn"] - before["gunicorn"] >= 0.1
    assert after["gunicorn"] - before["gunicorn"] < 2.0  # the outsider's CPU is not in it


def test_map_sizes_are_timed_in_turn_after_the_warmup():
    from bench.maps import alternating

    calls = []
    large, small = alternating(lambda: calls.append("L"), lambda: calls.append("S"), repeat=3, warmup=2)
    # In turn, so a change of load on the machine falls on both maps alike; the warmup is not timed.
    assert calls == ["L", "S"] * 5
    assert len(large) == len(small) == 3 and all(t >= 0 for t in large + small)


def test_the_in_process_cpu_benchmark_posts_valid_unique_answers_with_wrks_spread():
    import json

    from bench.submit_cpu import _bodies
    from feedback.validation import parse_submission

    bodies = [json.loads(body) for body in _bodies("cpu1764900000p0", 2000, seed=0)]
    submissions = [parse_submission(body) for body in bodies]  # raises on an invalid one
    assert len({s.submission_id for s in submissions}) == 2000
    assert all(s.finished and s.channel == "widget" and s.locale == "en" for s in submissions)
    scores = Counter(
        "detractor" if s.answers["score"] <= 6 else "passive" if s.answers["score"] <= 8 else "promoter"
        for s in submissions
    )
    assert 0.2 < scores["detractor"] / 2000 < 0.3 and 0.4 < scores["promoter"] / 2000 < 0.5
    assert 0.25 < sum("comment" in s.answers for s in submissions) / 2000 < 0.35
    assert _bodies("run1", 50, seed=0) == _bodies("run1", 50, seed=0)
