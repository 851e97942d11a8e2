"""The HTML report: one self-contained interactive page per kind (plan, scenarios, sweep, stress, bench) that
fetches nothing and stays under the size budget; the plan page's content, map and PNG charts (--png); sources
(Result, run id, result folder); a zero-output plan and a stress run id. The browser checks are
test_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from reeplan.cli.app import app
from reeplan.instance.io import load_instance
from reeplan.report.chart_style import DPI, WIDTH_IN, png_size
from reeplan.report.interactive import PAGE_BUDGET_BYTES
from reeplan.sources import write_report
from typer.testing import CliRunner

from tests.conftest import DATA

CHARTS = ["gantt", "spend", "output", "flows", "projects"]
WIDTH_PX = round(WIDTH_IN * DPI)
KINDS = ("plan", "scenarios", "sweep", "stress", "bench")
runner = CliRunner()


@pytest.fixture(scope="module")
def report(pages):
    """(html, png dir, store path, run id) of the base case's plan page, with --png."""
    html = pages["out"] / "page" / "base.html"
    run_id = int(pages["plan"][1].split()[1])
    cli = runner.invoke(app, ["report", str(run_id), "--html", str(html), "--png", str(pages["out"] / "png"),
                              "--store", str(pages["store"])])
    assert cli.exit_code == 0, cli.output
    assert "wrote" in cli.stdout and "5 PNG charts" in cli.stdout and "plan page" in cli.stdout
    return html, pages["out"] / "png", pages["store"], run_id


@pytest.mark.parametrize("kind", KINDS)
def test_every_page_is_self_contained_and_within_budget(pages, kind):
    path: Path = pages[kind][0]
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<link" not in page.lower() and "@import" not in page and "url(" not in page
    assert not re.search(r'(?:src|href)="(?!#|data:)', page), "a reference to another file or host"
    # no address at all, but the SVG namespace name the script creates elements in (a name, never fetched)
    assert "https://" not in page and "http://" not in page.replace('"http://www.w3.org/2000/svg"', "")
    assert re.findall(r"<script\b[^>]*>", page) == ['<script type="application/json" id="reeplan-data">', "<script>"]
    assert path.stat().st_size < PAGE_BUDGET_BYTES
    assert "<span class='badge'" in page
    if kind != "plan":
        assert f">{kind}</span>" in page


def test_page_content(report, base):
    inst, res = base
    page = report[0].read_text(encoding="utf-8")
    for text in (f"run {report[3]}", "siberia-2030", "optimal", "HPO output 2030", "21,870", "REO output 2030", "29,160",
                 "of 700 bn RUB budget", "R&amp;D envelope", "yearly cap", "binding", "marginal",
                 "Assumptions of the instance", "2025–2030, target year 2030", "Tomtor", "Krasnoyarsk",
                 "reported only", "enforced", "short by", "The network on the map"):
        assert text in page, text
    for rule in res.tables["constraints"]["rule"]:
        assert rule in page
    assert "<img" not in page  # charts are drawn by the page's script, not pictures


def test_the_map_holds_the_base_case_geography(base):
    from reeplan.report.interactive import map_spec, outline

    inst, res = base
    spec = map_spec(res, inst)
    kinds = {(n["kind"], n["name"]) for n in spec["nodes"]}
    assert {("site", s.name) for s in inst.sites} <= kinds
    assert {("deposit", d.name) for d in inst.deposits} <= kinds
    assert {("source", p.name) for p in inst.power_sources} <= kinds
    assert spec["missing"] == []
    links = {e["name"]: e for e in spec["edges"] if e["kind"] == "link"}
    assert set(links) == {link.name for link in inst.links}
    assert {e["mode"] for e in links.values()} >= {"rail", "road", "multimodal"}
    assert any(e["upgraded"] for e in links.values()) and any(e["flow"] > 0 for e in links.values())
    assert len([e for e in spec["edges"] if e["kind"] == "connection"]) == len(inst.power_connections)
    assert any(c["name"] == "Russia" for c in outline())
    used = [n for n in spec["nodes"] if n["kind"] == "site" and n["used"]]
    assert used and all(n["year"] is None or 2025 <= n["year"] <= 2030 for n in used)


def test_pngs_for_slides_have_the_declared_size(report):
    png_dir = report[1]
    assert sorted(p.name for p in png_dir.iterdir()) == sorted(f"{c}.png" for c in CHARTS)
    for path in png_dir.iterdir():
        w, h = png_size(path.read_bytes())
        assert w == WIDTH_PX and 400 <= h <= 3000, (path.name, w, h)
        assert path.stat().st_size > 20_000, f"{path.name}: suspiciously small PNG"


def test_png_pixels_are_not_blank(report):
    import matplotlib.image as mpimg
    import numpy as np

    for path in sorted(report[1].iterdir()):
        pixels = mpimg.imread(path)
        assert pixels.shape[1] == WIDTH_PX
        rgb = pixels[..., :3]
        assert float(np.std(rgb)) > 0.05, path.name  # a plot, not a flat colour
        assert float((rgb.min(axis=2) < 0.5).mean()) > 0.005, path.name  # ink: text, bars, lines


def test_report_from_a_result_and_from_a_folder(report, tmp_path, monkeypatch):
    from reeplan.options import SolveOptions
    from reeplan.solving.pipeline import solve
    from reeplan.sources import resolve_source

    monkeypatch.setenv("REEPLAN_STORE", str(tmp_path / "no-store.sqlite"))  # no default store to find instances in
    inst = load_instance(DATA / "two_sites.yaml")
    res = solve(inst, SolveOptions(threads=1))
    written = write_report(res, tmp_path / "result.html", instance=inst)
    assert written["png"] == []
    page = (tmp_path / "result.html").read_text(encoding="utf-8")
    assert "two-sites" in page and "2025–2027, target year 2027" in page
    assert "no coordinates" in page  # the test instance gives none: said, not drawn

    folder = tmp_path / "solved"
    res.write(folder)  # what `reeplan solve --out` writes: no instance beside it
    out = runner.invoke(app, ["report", str(folder), "--html", str(tmp_path / "dir.html")])
    assert out.exit_code == 0, out.output
    page = (tmp_path / "dir.html").read_text(encoding="utf-8")
    assert "instance itself is not available" in page and "total budget 10 bn RUB" in page

    # a folder exported from the store carries its instance; a plain one finds it in the store by sha256
    base_store, base_run = report[2], report[3]
    from reeplan.store.runs import export_run

    export_run(base_store, base_run, tmp_path / "exported")
    result, instance, where = resolve_source(tmp_path / "exported")
    assert instance is not None and instance.name == "siberia-2030" and result.has_plan
    (tmp_path / "exported" / "instance.yaml").unlink()
    assert resolve_source(tmp_path / "exported")[1] is None
    assert resolve_source(tmp_path / "exported", store=base_store)[1].name == "siberia-2030"


def test_report_without_a_plan(tmp_path):
    from reeplan.options import SolveOptions
    from reeplan.solving.pipeline import solve

    inst = load_instance(DATA / "two_sites.yaml", ["policy.plants_online.min_count=3"])
    res = solve(inst, SolveOptions())
    written = write_report(res, tmp_path / "infeasible.html", tmp_path / "png", instance=inst)
    page = (tmp_path / "infeasible.html").read_text(encoding="utf-8")
    assert written["charts"] == [] and "<img" not in page
    assert "infeasible" in page and "Diagnosis" in page and "plants_online" in page


def test_a_zero_output_plan_gives_a_page_and_pngs(tmp_path):
    """A plan that produces nothing (no supply anywhere) is a plan: its page and --png charts, no crash."""
    from reeplan.options import SolveOptions
    from reeplan.solving.pipeline import solve

    inst = load_instance(DATA / "two_sites.yaml", ["deposits.D.supply_t_per_yr=0", "policy.plants_online.enabled=false"])
    res = solve(inst, SolveOptions())
    assert res.has_plan and float(res.tables["output"]["hpo_t"].sum()) == 0
    written = write_report(res, tmp_path / "zero.html", tmp_path / "png", instance=inst)
    page = (tmp_path / "zero.html").read_text(encoding="utf-8")
    assert "two-sites" in page and "Where the money goes" in page and written["charts"]


def test_a_stress_run_gives_a_stress_page_not_a_plan_page(pages):
    page = pages["stress"][0].read_text(encoding="utf-8")
    assert "Stress test of" in page and "not a plan" in page and "Target odds" in page
    for plan_only in ("Where the money goes", "The network on the map", "Assumptions of the instance"):
        assert plan_only not in page


def test_scenario_sweep_and_bench_pages(pages):
    scen = pages["scenarios"][0].read_text(encoding="utf-8")
    assert "3 scenarios" in scen and "budget 6" in scen and 'class="num diff' in scen
    assert "Money by area and year" in scen and "Output trajectories" in scen and "Plants" in scen
    sweep = pages["sweep"][0].read_text(encoding="utf-8")
    assert "Sweep of budget.total_bn_rub" in sweep and 'id="point-0"' in sweep and 'href="#point-0"' in sweep
    bench = pages["bench"][0].read_text(encoding="utf-8")
    assert "Performance profile" in bench and "highs-presolve-off" in bench and "shifted geometric mean" in bench


def test_report_bad_source_exit_2(tmp_path, capsys):
    from reeplan.cli.app import main

    for source in ("nonsense", str(tmp_path)):
        with pytest.raises(SystemExit) as exc:
            main(["report", source, "--html", str(tmp_path / "x.html")])
        assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "neither a run id" in err and "no summary.json" in err and "Traceback" not in err
    assert not (tmp_path / "x.html").exists()


def test_bad_html_or_png_path_is_refused_before_any_chart_is_drawn(base, tmp_path, monkeypatch):
    """A path the page cannot be written to is a usage error at once: no chart is rendered, nothing is written."""
    import reeplan.report.plots as plots
    from reeplan.errors import UsageError

    monkeypatch.setattr(plots, "plan_charts", lambda *a, **k: pytest.fail("charts drawn before the path check"))
    inst, res = base
    blocker = tmp_path / "a-file"
    blocker.write_text("mine")
    for html, png in ((blocker / "r.html", None), (tmp_path / "r.html", blocker), (tmp_path / "r.html", blocker / "x")):
        with pytest.raises(UsageError):
            write_report(res, html, png, instance=inst)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"] and blocker.read_text() == "mine"
