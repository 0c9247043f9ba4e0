"""Run Waymark's benchmarks (``make bench``): print the results table, write bench/results.json.

Every benchmark measures its baseline in the same run and reports the ratio, because absolute
times drift on a shared machine (see docs/performance.md). Usage::

    .venv/bin/python bench/run.py                 # everything
    .venv/bin/python bench/run.py submit maps     # some of: submit stats maps versions sla ingest automations
                                                  # automations_latency
    .venv/bin/python bench/run.py ingest --small  # a quick run: one short round, a smaller data set
    .venv/bin/python bench/run.py --rebuild       # drop the benchmark database and build it again
    .venv/bin/python bench/run.py clickhouse      # PostgreSQL against ClickHouse (chdb); only when named
    .venv/bin/python bench/run.py submit_cpu      # benchmark 1's CPU per request in one process; only when named
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

common.apply_env()

BENCHMARKS = ["submit", "stats", "maps", "versions", "sla", "ingest", "automations", "automations_latency"]
# Run only when named: clickhouse writes its own million events (bench/clickhouse.py, docs/scaling.md);
# submit_cpu is benchmark 1's CPU per request measured in one process (bench/submit_cpu.py).
OPTIONAL = ["clickhouse", "submit_cpu"]
# The data sets each benchmark reads: a run builds only those it needs.
DATASETS = {
    "submit": ["maps"],
    "stats": ["stats"],
    "maps": ["maps"],
    "versions": ["maps"],
    "sla": ["sla"],
    "ingest": ["ingest"],
    "automations": ["automations"],
    "automations_latency": ["ingest"],
    "clickhouse": [],
    "submit_cpu": ["maps"],
}


def prepare(rebuild: bool, selected: list[str]) -> dict:
    """Create and migrate the benchmark database, build or reuse the data the ``selected`` benchmarks read."""
    if rebuild:
        common.drop_database()
    created = common.ensure_database()
    common.log(f"database {common.DB_NAME} {'created' if created else 'reused'}; migrating")
    migrate = [str(common.PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"]
    done = subprocess.run(migrate, cwd=common.ROOT, env=common.child_env(), capture_output=True, text=True)
    if done.returncode != 0:
        # Someone rewrote a migration the database already has: start again from nothing.
        common.log("migrate failed on the existing database; rebuilding it:\n" + done.stderr[-800:])
        common.drop_database()
        common.ensure_database()
        subprocess.run(migrate, cwd=common.ROOT, env=common.child_env(), check=True)
    import django

    django.setup()
    from bench import automations, datagen, ingest

    builders = {
        "automations": automations.ensure_dataset,
        "stats": datagen.ensure_stats_dataset,
        "maps": datagen.ensure_maps_dataset,
        "sla": datagen.ensure_sla_dataset,
        "ingest": ingest.ensure_dataset,
    }
    wanted = [name for name in builders if any(name in DATASETS[b] for b in selected)]
    return {name: builders[name]() for name in wanted}


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    pg = common.psql("SHOW server_version", db="postgres").strip()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(total_kb / 1024 / 1024, 1),
        "postgresql": pg,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "wrk": wrk[0] if wrk else "",
        "load_average_at_start": os.getloadavg(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help=f"benchmarks to run, of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark database first")
    parser.add_argument("--output", default=str(common.BENCH / "results.json"))
    parser.add_argument("--show", action="store_true", help="print the table of the last results and stop")
    parser.add_argument("--small", action="store_true", help="ingest: one short round on a smaller data set")
    args = parser.parse_args()
    if args.show:
        from bench.results import read_json, table

        results, meta = read_json(Path(args.output))
        print(table(results))
        print(f"\n{meta.get('started')}, {meta.get('total_seconds')} s; machine: {meta.get('machine')}")
        return 0
    unknown = set(args.only) - set(BENCHMARKS) - set(OPTIONAL)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    selected = args.only or BENCHMARKS
    if args.small:
        os.environ["BENCH_SMALL"] = "1"  # read by bench/ingest.py when imported

    started = time.perf_counter()
    meta = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(), "benchmarks": selected}
    context = prepare(args.rebuild, selected)
    meta["prepare_seconds"] = round(time.perf_counter() - started, 1)

    from bench import (
        automations,
        automations_latency,
        clickhouse,
        ingest,
        maps,
        sla,
        stats,
        submit,
        submit_cpu,
        versions,
    )
    from bench.results import Result, table, write_json

    modules = {
        "submit": submit,
        "stats": stats,
        "maps": maps,
        "versions": versions,
        "sla": sla,
        "ingest": ingest,
        "automations": automations,
        "automations_latency": automations_latency,
        "clickhouse": clickhouse,
        "submit_cpu": submit_cpu,
    }
    results: list[Result] = []
    for name in selected:
        common.log(f"running {name}")
        t0 = time.perf_counter()
        try:
            results.extend(modules[name].run(context))
        except Exception as exc:  # one broken benchmark must not hide the others' results
            traceback.print_exc()
            results.append(Result(name, "(failed)", None, note=f"not available: {type(exc).__name__}: {exc}"[:300]))
        common.log(f"{name} took {time.perf_counter() - t0:.0f} s")

    meta["total_seconds"] = round(time.perf_counter() - started, 1)
    meta["load_average_at_end"] = os.getloadavg()
    print()
    print(table(results))
    print()
    unjudged = sum(r.target is not None and r.met is None for r in results)
    print(f"{len(results)} measures, {sum(r.met is False for r in results)} missing their target,", end=" ")
    print(f"{unjudged} with a target but no figure to judge;", end=" ")
    print(f"machine: {meta['machine']['nproc']} cores, {meta['machine']['memory_gib']} GiB,", end=" ")
    print(f"PostgreSQL {meta['machine']['postgresql']}; {meta['total_seconds']:.0f} s in all")
    if (set(selected) == set(BENCHMARKS) and not args.small) or args.output != str(common.BENCH / "results.json"):
        write_json(Path(args.output), results, meta)
        print(f"written to {args.output}")
    else:
        partial = common.DATA / "results-partial.json"
        write_json(partial, results, meta)
        print(f"a partial run: written to {partial} (bench/results.json keeps the last full run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
