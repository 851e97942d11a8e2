"""Cluster benchmark (issue 13): reeplan on a real Dask cluster on this machine (a `dask scheduler` and
`dask worker --nthreads 1` processes started from the command line, each in its own temporary directory).

Measures: (1) the per-task overhead of the cluster (200 empty tasks through ``reeplan.parallel.Pool``,
against spawned local processes); (2) a 30-point budget sweep of instances/siberia-2030.yaml on 1 worker and
on 2 (with the balance of the two chains: the slower chain's solve seconds over the mean); (3) a stress test
of the base plan on 1,000 futures on 1 worker and on 2; (4) the retry cost: the 30-point sweep on 2 workers
with one worker's process group killed once its task has run for a while, against the uninterrupted run.
The machine has 2 cores, so the ideal speed-up of 2 workers over 1 is 2.0 (the client and the scheduler
share those cores). Writes benchmarks/results/cluster.csv and cluster_meta.json.

Run: python benchmarks/cluster.py [--points 30] [--futures 1000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/cluster.py: the same cluster the tests start

from reeplan.analysis.sweep import plan_chains, run_sweep  # noqa: E402
from reeplan.analysis.sweep_plan import make_plan  # noqa: E402
from reeplan.instance.io import load_instance  # noqa: E402
from reeplan.parallel import Pool  # noqa: E402
from reeplan.solving.pipeline import solve  # noqa: E402
from reeplan.uncertainty.stress import plan_from_result, stress_test  # noqa: E402

from tests.cluster import Cluster  # noqa: E402

BASE = ROOT / "instances" / "siberia-2030.yaml"
OUT = ROOT / "benchmarks" / "results"


def empty(x: int) -> int:
    return x


def overhead(pool: Pool, tasks: int = 200) -> float:
    pool.map(empty, list(range(4)), lambda r: None)  # warm: workers up, function shipped once
    tick = time.perf_counter()
    pool.map(empty, list(range(tasks)), lambda r: None)
    return (time.perf_counter() - tick) / tasks


def sweep(plan, address: str) -> tuple[float, object]:
    tick = time.perf_counter()
    df = run_sweep(plan, scheduler=address)
    return time.perf_counter() - tick, df


def balance(df, slots: int) -> float:
    """The slowest chain's seconds over the mean chain's (1.0: perfectly even)."""
    chains = plan_chains(list(range(len(df))), slots)
    seconds = [float(df.loc[df["index"].isin(c), "seconds"].sum()) for c in chains]
    return max(seconds) / (sum(seconds) / len(seconds))


def kill_when_busy(cluster: Cluster, after: float, killed: dict) -> None:
    with cluster.client() as client:
        deadline = time.time() + 300
        while time.time() < deadline:
            busy = [w for w, keys in client.processing().items() if keys]
            if len(busy) >= 2:
                time.sleep(after)
                name = client.scheduler_info()["workers"][busy[0]]["name"]
                killed["at"] = time.perf_counter()
                cluster.kill(cluster.workers[name])
                killed["name"] = name
                return
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=30)
    parser.add_argument("--futures", type=int, default=1000)
    args = parser.parse_args()
    values = ",".join(str(300.0 + 20 * i) for i in range(args.points))
    plan = make_plan(BASE, ["budget.total_bn_rub"], [values], threads=1)
    inst = load_instance(BASE)
    stress_plan = plan_from_result(inst, solve(inst, marginals=False, why=False))
    rows: list[tuple[str, object]] = [("points", args.points), ("futures", args.futures)]
    load_start = os.getloadavg()[0]

    with Pool(2) as local:
        rows.append(("overhead_local_processes_ms_per_task", overhead(local) * 1e3))

    root = Path(tempfile.mkdtemp(prefix="reeplan-cluster-bench-"))
    cluster = Cluster(root)
    try:
        cluster.start(workers=1)
        with Pool(scheduler=cluster.address) as pool:
            rows.append(("overhead_cluster_1_worker_ms_per_task", overhead(pool) * 1e3))
        run_sweep(make_plan(BASE, ["budget.total_bn_rub"], ["300"]), scheduler=cluster.address)  # warm the worker
        one_s, one = sweep(plan, cluster.address)
        rows.append(("sweep_1_worker_s", one_s))
        tick = time.perf_counter()
        stress_test(inst, stress_plan, samples=args.futures, seed=0, scheduler=cluster.address)
        stress_one_s = time.perf_counter() - tick
        rows.append(("stress_1_worker_s", stress_one_s))

        cluster.add_worker("worker2")
        cluster.wait_for_workers(2)
        with Pool(scheduler=cluster.address) as pool:
            rows.append(("overhead_cluster_2_workers_ms_per_task", overhead(pool) * 1e3))
        run_sweep(make_plan(BASE, ["budget.total_bn_rub"], ["300,320"]), scheduler=cluster.address)  # warm both
        two_s, two = sweep(plan, cluster.address)
        rows += [("sweep_2_workers_s", two_s), ("sweep_speedup_2_over_1", one_s / two_s),
                 ("sweep_chain_balance_max_over_mean", balance(two, 2)),
                 ("sweep_tables_equal", bool((one["objective"].round(3) == two["objective"].round(3)).all()))]
        tick = time.perf_counter()
        stress_test(inst, stress_plan, samples=args.futures, seed=0, scheduler=cluster.address)
        stress_two_s = time.perf_counter() - tick
        rows += [("stress_2_workers_s", stress_two_s), ("stress_speedup_2_over_1", stress_one_s / stress_two_s),
                 ("ideal_speedup_2_cores", 2.0)]

        killed: dict = {}
        killer = threading.Thread(target=kill_when_busy, args=(cluster, 3.0, killed))
        killer.start()
        killed_s, retried = sweep(plan, cluster.address)
        killer.join()
        stats = retried.attrs["run"]
        rows += [("sweep_2_workers_one_killed_s", killed_s), ("retry_cost_s", killed_s - two_s),
                 ("tasks_retried", stats.retried), ("killed_worker", killed.get("name")),
                 ("killed_sweep_equals_uninterrupted",
                  bool((retried["objective"].round(3) == two["objective"].round(3)).all()))]
    finally:
        cluster.stop()
    rows += [("load_1min_start", load_start), ("load_1min_end", os.getloadavg()[0]),
             ("machine", f"{platform.machine()} {platform.system()} {os.cpu_count()} cores python "
                         f"{platform.python_version()}")]
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "cluster.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([("metric", "value"), *rows])
    (OUT / "cluster_meta.json").write_text(json.dumps({"per_point_one": one[["index", "seconds", "reused"]]
                                                       .to_dict("records")}, indent=1, default=str))
    for name, value in rows:
        print(f"{name:45s} {value}")


if __name__ == "__main__":
    main()
