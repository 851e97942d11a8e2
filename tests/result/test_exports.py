"""Typed exports: Parquet, netCDF (xarray) and Excel read back equal to the result, dtypes included."""

from __future__ import annotations

import pandas as pd
import pytest
from reeplan.instance.io import load_instance
from reeplan.result import exports
from reeplan.result.result import Result, from_xarray, read_excel, read_netcdf, read_parquet_result, read_result
from reeplan.solving.pipeline import solve

from tests.conftest import DATA

pytest.importorskip("xarray")
pytest.importorskip("openpyxl")


def assert_same(back: Result, result: Result) -> None:
    frames, read = exports.result_frames(result), exports.result_frames(back)
    assert set(read) == set(frames)
    for name, df in frames.items():
        pd.testing.assert_frame_equal(read[name], df.reset_index(drop=True), check_exact=True, obj=name)
    assert back.summary() == result.summary()


def test_parquet_round_trip(solved, tmp_path):
    for i, result in enumerate(solved):
        result.to_parquet(tmp_path / str(i))
        assert_same(read_parquet_result(tmp_path / str(i)), result)


def test_xarray_and_netcdf_round_trip(solved, tmp_path):
    import xarray as xr

    for i, result in enumerate(solved):
        ds = result.to_xarray()
        assert_same(from_xarray(ds), result)
        path = result.to_netcdf(tmp_path / f"{i}.nc")
        assert_same(read_netcdf(path), result)
        with xr.open_dataset(path) as back:  # plain xarray reads the same Dataset
            xr.testing.assert_identical(back.load(), xr.open_dataset(path).load())
            assert set(ds.data_vars) == set(back.data_vars)
            for name in ds.data_vars:
                assert back[name].attrs.get("units") == ds[name].attrs.get("units"), name
    ds = solved[0].to_xarray()
    assert ds["plants_feed_t"].dims == ("site", "year") and ds["plants_feed_t"].attrs["units"] == "t"
    assert ds["output_hpo_t"].dims == ("year",)
    assert {"deposit", "site"} <= set(ds["shipped_t"].dims)
    assert ds.attrs["kpi_hpo_t_units"] == "t"


def test_excel_round_trip(solved, tmp_path):
    import openpyxl

    for i, result in enumerate(solved):
        path = result.to_excel(tmp_path / f"{i}.xlsx")
        assert_same(read_excel(path), result)
        book = openpyxl.load_workbook(path)
        assert book.sheetnames[0] == "kpis"
        assert set(exports.result_frames(result)) <= set(book.sheetnames)


def test_write_formats_and_cli(solved, tmp_path):
    from reeplan.cli.app import main

    written = {p.name for p in solved[0].write(tmp_path / "a", formats=("netcdf", "excel"))}
    assert {"plants.csv", "plants.parquet", "result.nc", "result.xlsx", "summary.json"} <= written
    # a rewrite without them drops the stale files
    solved[0].write(tmp_path / "a")
    assert not (tmp_path / "a" / "result.nc").exists() and (tmp_path / "a" / "plants.parquet").exists()
    main(["solve", str(DATA / "two_sites.yaml"), "--out", str(tmp_path / "cli"), "--format", "netcdf,excel",
          "--no-store", "--quiet"])  # returns on success (exit 0)
    out = tmp_path / "cli"
    result = read_result(out)
    assert_same(read_excel(out / "result.xlsx"), result)
    assert_same(read_netcdf(out / "result.nc"), result)
    assert_same(read_parquet_result(out), result)
    log = (out / "reeplan.log").read_text()
    assert "solve" in log and "writing" in log


def test_unknown_format_is_a_usage_error():
    from reeplan.errors import UsageError

    with pytest.raises(UsageError, match="unknown format"):
        exports.parse_formats("netcdf,pdf")
    assert exports.parse_formats("nc,xlsx") == ("csv", "parquet", "netcdf", "excel")


def test_notebook_display_and_tab_completion(solved):
    feasible, infeasible = solved
    html = feasible._repr_html_()
    assert "optimal" in html and "HPO" in html and "<script" not in html
    assert "plants" in dir(feasible) and "to_xarray" in dir(feasible)
    assert "infeasible" in infeasible._repr_html_()
    assert "plants" not in dir(infeasible)  # it has no plan tables to complete


def test_version(capsys):
    from reeplan.cli.app import main
    from reeplan.version import __version__

    main(["--version"])  # exit 0
    assert capsys.readouterr().out.strip() == f"reeplan {__version__}"


def test_write_tables_writes_typed_parquet_beside_csv(tmp_path):
    df = pd.DataFrame({"scenario": ["a", ""], "hpo_t": [1.5, 2.0], "n": [1, 2]})
    paths = exports.write_tables(tmp_path, {"kpis": df})
    assert sorted(p.name for p in paths) == ["kpis.csv", "kpis.parquet"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "kpis.parquet"), df)


def test_analysis_cubes_show_zero_not_nan_for_a_site_without_flows():
    """two_sites at 5 bn RUB builds nothing at New (test_compare_two_budgets_hand_checked): its shipments and power
    are 0 on the dataset's own site coordinate, not NaN, and the cubes keep every site of the plan."""
    inst = load_instance(DATA / "two_sites.yaml", ["budget.total_bn_rub=5", "policy.plants_online.enabled=false"])
    ds = solve(inst).to_xarray()
    for name in ("shipped_t", "power_gwh"):
        if name in ds:
            cube = ds[name]
            assert not bool(cube.isnull().any()), name
            assert set(cube["site"].values.tolist()) == {s.name for s in inst.sites}
    assert float(ds["shipped_t"].sel(site="New").sum()) == 0.0
