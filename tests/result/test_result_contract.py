"""The result-table contract: tables come out of a solve with the contract's columns and dtypes, read back
from files equal (dtypes included), tables.md is generated from it, and KPIs are typed attributes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from reeplan.instance.io import load_instance
from reeplan.result.exports import result_frames
from reeplan.result.result import Kpis, read_result
from reeplan.result.tables import TABLES, conform, tables_markdown

from tests.conftest import DATA, ROOT


def test_tables_reference_is_generated_from_the_contract():
    assert (ROOT / "optimizer" / "result" / "tables.md").read_text() == tables_markdown(), \
        "run: python -m reeplan.result.tables > optimizer/result/tables.md"


def test_every_table_of_a_solve_has_the_contract_columns_and_dtypes(solved):
    names = set()
    for result in solved:
        for name, df in result_frames(result).items():
            names.add(name)
            assert list(df.columns) == TABLES[name].names, name
            assert {c: str(t) for c, t in df.dtypes.items()} == TABLES[name].dtypes, name
    assert names == set(TABLES)  # both solves together exercise every table of the contract


def test_written_tables_read_back_equal_dtypes_included(solved, tmp_path):
    for i, result in enumerate(solved):
        result.write(tmp_path / str(i))
        back = read_result(tmp_path / str(i))
        frames, read = result_frames(result), result_frames(back)
        assert set(read) == set(frames)
        for name, df in frames.items():
            pd.testing.assert_frame_equal(read[name], df, check_exact=False, rtol=1e-12, obj=name)


def test_conform_names_what_is_missing_and_casts():
    with pytest.raises(ValueError, match="lacks columns"):
        conform("rd", pd.DataFrame({"programme": ["a"]}))
    df = conform("constraints", pd.DataFrame({"rule": ["budget_total", "jobs"], "year": [None, 2030.0],
                                              "lhs": [1, 2], "rhs": [1, 2], "slack": [0, 0],
                                              "binding": [True, False], "marginal": [0.5, 0]}))
    assert str(df["year"].dtype) == "Int64" and df["year"].isna().tolist() == [True, False]
    assert df["year"].iloc[1] == 2030 and str(df["lhs"].dtype) == "float64"


def test_kpis_are_typed_attributes_and_a_json_ready_dict(solved):
    k = solved[0].kpis
    assert isinstance(k, Kpis) and isinstance(k, dict)
    assert k.hpo_t == k["hpo_t"] == pytest.approx(1050.0)  # two_sites: hand-solved in test_solve_hand.py
    assert k.spend_by_area_bn_rub == k["spend_by_area_bn_rub"]
    assert json.loads(json.dumps(k)) == dict(k)
    assert solved[1].kpis.hpo_t is None and "hpo_t" not in solved[1].kpis  # no plan, no figures
    k2 = Kpis()
    k2.jobs = 12.0
    assert k2 == {"jobs": 12.0}


def test_tables_are_real_attributes(solved):
    result = solved[0]
    assert {"allocation", "plants", "output", "limits"} <= set(dir(result))
    assert result.plants is result.tables["plants"]
    with pytest.raises(AttributeError, match="no 'plants' table"):
        _ = solved[1].plants


def test_stored_tables_load_back_equal_dtypes_included(solved, tmp_path):
    from reeplan.store.runs import load_result, open_store, record_run

    store = open_store(tmp_path / "runs.sqlite")
    for result, path in zip(solved, (DATA / "two_sites.yaml", ROOT / "instances" / "variants" / "all-targets-hard.yaml")):
        run_id = record_run(store, result, load_instance(path))
        back = load_result(store, run_id)
        frames, read = result_frames(result), result_frames(back)
        assert set(read) == set(frames)
        for name, df in frames.items():
            pd.testing.assert_frame_equal(read[name], df, check_exact=False, rtol=1e-12, obj=name)
        assert back.kpis == result.kpis and isinstance(back.kpis, Kpis)


def test_the_checker_reads_the_contract_columns():
    from reeplan.check.tables import CHECKED_TABLES, TABLE_COLUMNS

    for name in CHECKED_TABLES:
        assert list(TABLE_COLUMNS[name]) == TABLES[name].names
