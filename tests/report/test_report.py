"""The HTML report: self-contained (no script, no external file or host), every chart an inline PNG of the
declared size, the same charts as PNG files with --png, sources (Result, run id, result folder), and the page
rendered by headless Chromium without console errors, with a screenshot."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from reeplan.cli.app import app
from reeplan.instance.io import load_instance
from reeplan.report.chart_style import DPI, WIDTH_IN, png_size
from reeplan.sources import write_report
from reeplan.store.runs import open_store, record_run
from typer.testing import CliRunner

from tests.conftest import DATA, ROOT

BASE = ROOT / "instances" / "siberia-2030.yaml"
CHARTS = ["gantt", "spend", "output", "flows", "projects"]
WIDTH_PX = round(WIDTH_IN * DPI)
runner = CliRunner()

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars"]


def _chromium() -> str | None:
    for candidate in (os.environ.get("REEPLAN_CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def base():
    """The base case solved once: (instance, result)."""
    from reeplan.options import SolveOptions
    from reeplan.solving.pipeline import solve

    inst = load_instance(BASE)
    return inst, solve(inst, SolveOptions(threads=1))


@pytest.fixture(scope="module")
def report(base, tmp_path_factory):
    """The base case recorded in a store, then `reeplan report RUN --html --png`: (html, png dir, store path, run id)."""
    inst, res = base
    out = tmp_path_factory.mktemp("report")
    store = open_store(out / "runs.sqlite")
    run_id = record_run(store, res, inst, "solve", [], None)
    cli = runner.invoke(app, ["report", str(run_id), "--html", str(out / "page" / "base.html"), "--png",
                              str(out / "png"), "--store", str(store.path)])
    assert cli.exit_code == 0, cli.output
    assert "wrote" in cli.stdout and "5 PNG charts" in cli.stdout
    return out / "page" / "base.html", out / "png", store.path, run_id


def _images(page: str) -> list[tuple[str, int, int, bytes]]:
    """(chart name, width attr, height attr, PNG bytes) of every inline image."""
    out = []
    for tag in re.findall(r"<img\b[^>]*>", page):
        src = re.search(r'src="data:image/png;base64,([^"]+)"', tag)
        assert src, f"image not inline: {tag[:120]}"
        name = re.search(r'data-chart="([^"]+)"', tag).group(1)
        w, h = (int(re.search(rf'{a}="(\d+)"', tag).group(1)) for a in ("width", "height"))
        out.append((name, w, h, base64.b64decode(src.group(1))))
    return out


def test_page_is_self_contained(report):
    html_path = report[0]
    page = html_path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert not re.search(r'(?:src|href)="(?!data:)', page), "a reference to another file or host"
    assert "url(" not in page and "http://" not in page and "https://" not in page
    assert [name for name, *_ in _images(page)] == CHARTS
    assert [p.name for p in html_path.parent.iterdir()] == ["base.html"]  # nothing beside the page, no leftovers


def test_page_content(report, base):
    inst, res = base
    page = report[0].read_text(encoding="utf-8")
    for text in (f"run {report[3]}", "siberia-2030", "optimal", "HPO output 2030", "21,870", "REO output 2030", "29,160",
                 "of 700 bn RUB budget", "R&amp;D envelope", "yearly cap", "binding", "marginal",
                 "Assumptions of the instance", "2025–2030, target year 2030", "Tomtor", "Krasnoyarsk",
                 "reported only", "enforced", "short by"):
        assert text in page, text
    for rule in res.tables["constraints"]["rule"]:
        assert rule in page


def test_inline_charts_and_pngs_have_the_declared_size(report):
    html_path, png_dir = report[:2]
    images = _images(html_path.read_text(encoding="utf-8"))
    assert sorted(p.name for p in png_dir.iterdir()) == sorted(f"{c}.png" for c in CHARTS)
    for name, w, h, data in images:
        assert png_size(data) == (w, h), name
        assert w == WIDTH_PX and 400 <= h <= 3000, (name, w, h)
        assert len(data) > 20_000, f"{name}: suspiciously small PNG"
        assert (png_dir / f"{name}.png").read_bytes() == data  # --png writes the very same charts


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
    assert written["png"] == [] and written["charts"]
    page = (tmp_path / "result.html").read_text(encoding="utf-8")
    assert "two-sites" in page and "2025–2027, target year 2027" in page
    assert [name for name, *_ in _images(page)] == written["charts"]

    folder = tmp_path / "solved"
    res.write(folder)  # what `reeplan solve --out` writes: no instance beside it
    out = runner.invoke(app, ["report", str(folder), "--html", str(tmp_path / "dir.html")])
    assert out.exit_code == 0, out.output
    page = (tmp_path / "dir.html").read_text(encoding="utf-8")
    assert "instance itself is not available" in page and "total budget 10 bn RUB" in page
    assert [name for name, *_ in _images(page)] == written["charts"]

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


def test_report_bad_source_exit_2(tmp_path, capsys):
    from reeplan.cli.app import main

    for source in ("nonsense", str(tmp_path)):
        with pytest.raises(SystemExit) as exc:
            main(["report", source, "--html", str(tmp_path / "x.html")])
        assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "neither a run id" in err and "no summary.json" in err and "Traceback" not in err
    assert not (tmp_path / "x.html").exists()


CHECK_SCRIPT = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || (e.target && e.target.src) || e)), true);
window.addEventListener('load', () => {
  const imgs = [...document.images].map(i => ({name: i.dataset.chart, w: i.naturalWidth, h: i.naturalHeight,
    shown: i.getBoundingClientRect().width, complete: i.complete}));
  const svgs = [...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().width);
  const out = document.createElement('pre');
  out.id = 'reeplan-check';
  out.textContent = JSON.stringify({imgs, svgs, errors: window.__errors,
    resources: performance.getEntriesByType('resource').map(r => r.name),
    height: document.documentElement.scrollHeight, title: document.title});
  document.body.appendChild(out);
});
</script>"""


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium not installed (Debian: apt-get install chromium; "
                                                ".ci/run installs it); the browser check is skipped")
def test_page_renders_in_headless_chromium(report, tmp_path):
    html_path = report[0]
    chromium = _chromium()
    page = html_path.read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"  # the page plus a checker; the report itself has no script
    probe.write_text(page.replace("<head>", "<head>" + CHECK_SCRIPT, 1), encoding="utf-8")
    base_flags = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    run = subprocess.run([*base_flags, "--enable-logging=stderr", "--v=0", "--window-size=1280,2400", "--dump-dom",
                          probe.as_uri()], capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(r'<pre id="reeplan-check">(.*?)</pre>', run.stdout, re.S)
    assert found, "the page never finished loading"
    check = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<")
                       .replace("&gt;", ">"))
    assert check["errors"] == []
    assert check["resources"] == []  # nothing fetched: no file, no network
    assert check["title"] == "reeplan report — siberia-2030"
    assert [i["name"] for i in check["imgs"]] == CHARTS and check["svgs"] == []
    for img in check["imgs"]:
        assert img["complete"] and img["w"] == WIDTH_PX and img["h"] > 300, img
        assert img["shown"] > 600, img  # laid out at a readable width in a 1280 px window
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    assert check["height"] > 2400

    shot = tmp_path / "report.png"
    run = subprocess.run([*base_flags, f"--screenshot={shot}", "--window-size=1280,2400", html_path.as_uri()],
                         capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr[-2000:]
    assert png_size(shot.read_bytes()) == (1280, 2400)
    assert shot.stat().st_size > 100_000  # a rendered page, not a blank one


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
