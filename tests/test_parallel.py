"""reeplan.parallel and the work it runs: tasks that travel (no file read on the worker), chains split for the
workers, one pool reused, the client the only writer. The real cluster: tests/test_cluster.py."""

from __future__ import annotations

import shutil
from functools import partial

import pytest
from reeplan.analysis.sweep import plan_chains, run_sweep, sweep_task
from reeplan.analysis.sweep_plan import InstanceData, make_plan
from reeplan.instance.io import instance_sha256, load_instance
from reeplan.parallel import ClusterError, Pool, split_by_cost
from reeplan.store.runs import list_runs, record_run_quietly

from tests.conftest import DATA

TWO = DATA / "two_sites.yaml"
NO_POLICY = "policy.plants_online.enabled=false"


def test_instance_data_applies_overrides_as_load_instance_does():
    data = InstanceData.read(TWO)
    for overrides in ([], [NO_POLICY, "budget.total_bn_rub=7"]):
        assert instance_sha256(data.load(overrides)) == instance_sha256(load_instance(TWO, overrides))
    assert data.sha256 == InstanceData.read(TWO).sha256


def test_a_sweep_task_reads_no_file(tmp_path):
    copy = tmp_path / "two.yaml"
    shutil.copy(TWO, copy)
    plan = make_plan(copy, ["budget.total_bn_rub"], ["5,10"], base_overrides=(NO_POLICY,))
    source = InstanceData.read(copy)
    copy.unlink()  # as on a worker, where the client's path means nothing
    rows = sweep_task(plan, source, [0, 1])
    assert [r["status"] for r in rows] == ["optimal", "optimal"] and rows[1]["hpo_t"] == pytest.approx(1050)


def test_chains_are_strided_one_per_slot_and_bounded():
    assert plan_chains(list(range(10)), 2) == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
    chains = plan_chains(list(range(100)), 2, per_task=16)
    assert len(chains) == 8 and max(len(c) for c in chains) <= 16
    assert sorted(i for c in chains for i in c) == list(range(100))
    assert plan_chains([3], 4) == [[3]] and plan_chains([], 2) == []


def test_split_by_cost_keeps_order_and_balances():
    parts = split_by_cost(list(range(6)), [5, 1, 1, 1, 1, 1], 2)
    assert [i for p in parts for i in p] == list(range(6)) and parts[0] == [0]


def test_local_workers_record_on_the_client_and_one_pool_serves_two_sweeps(tmp_path):
    store = tmp_path / "runs.sqlite"
    plan = make_plan(TWO, ["budget.total_bn_rub"], ["0:12:4"], base_overrides=(NO_POLICY,))
    with Pool(2) as pool:
        one = run_sweep(plan, tmp_path / "a", pool=pool, record=partial(record_run_quietly, str(store)))
        first = pool._executor
        two = run_sweep(plan, tmp_path / "b", pool=pool)
        assert pool._executor is first  # the same worker processes
    assert one.attrs["run"].tasks == 2 and list(one["hpo_t"]) == list(two["hpo_t"])
    assert len(list_runs(store)) == int(one["inferred_from"].isna().sum()) and one["run_id"].notna().sum() >= 2
    assert len(list((tmp_path / "a" / "points").glob("*.json"))) == 4


def test_an_unreachable_scheduler_is_a_clear_usage_error():
    pytest.importorskip("distributed")
    with pytest.raises(ClusterError) as exc:
        Pool(scheduler="tcp://127.0.0.1:1", connect_timeout=1)
    assert "cannot reach the Dask scheduler" in str(exc.value) and exc.value.exit_code == 2
