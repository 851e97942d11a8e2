"""Every page kind in Debian's headless Chromium, driven through its DevTools protocol: it loads with no console
error and no network request (counted), every chart draws, a hover shows a tooltip, a chart zooms, a table sorts,
and the plan page's map shows every site. Screenshots go to a temporary folder, or to docs/screenshots/ with
REEPLAN_UPDATE_SCREENSHOTS=1. Without Chromium the test skips, except under CI=true, where it fails."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.report.browser import Browser, find_chromium

KINDS = ("plan", "scenarios", "sweep", "stress", "bench")
SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("headless Chromium is missing under CI=true (.ci/run installs Debian's chromium)")
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")
    pytest.importorskip("websocket", reason="websocket-client (test extra) drives Chromium")
    with Browser(binary) as b:
        yield b


def _shots(tmp_path: Path) -> Path:
    return SHOTS if os.environ.get("REEPLAN_UPDATE_SCREENSHOTS") == "1" else tmp_path


@pytest.mark.parametrize("kind", KINDS)
def test_page_in_chromium(browser, pages, kind, base, tmp_path):
    tab = browser.open(pages[kind][0])
    assert tab.errors == []
    assert tab.requests == []  # nothing fetched: no file, no host
    charts = tab.eval("Array.from(document.querySelectorAll('[data-chart-id],[data-map-id]')).map(e => "
                      "[e.id, e.getAttribute('data-drawn'), +e.getAttribute('data-marks'), e.querySelector('svg') ? "
                      "e.querySelector('svg').getBoundingClientRect().width : 0])")
    assert charts, "no chart on the page"
    for cid, drawn, marks, width in charts:
        assert drawn == "1" and marks > 0 and width > 300, (cid, drawn, marks, width)
    # a hover over the first chart shows its tooltip
    first = charts[0][0]
    if first.startswith("chart-"):
        tab.hover(f"#{first} .hit", 20, 0)
    else:
        tab.hover(f"#{first} .node.site")
    tip = tab.eval("(function(){var t=document.querySelector('.tip');return [t.style.display, t.textContent];})()")
    assert tip[0] == "block" and tip[1].strip(), tip
    tab.screenshot(_shots(tmp_path) / f"{kind}-hover.png", full_page=False)
    # a drag across the first line/bar chart zooms it, a double-click resets
    chart_ids = [c[0] for c in charts if c[0].startswith("chart-") and int(tab.eval(
        f"document.getElementById('{c[0]}').getAttribute('data-zoom')").split(":")[1]) >= 2]
    if chart_ids:
        cid = chart_ids[0]
        before = tab.eval(f"document.getElementById('{cid}').getAttribute('data-zoom')")
        x, y = tab.center(f"#{cid} .hit")
        w = tab.eval(f"document.querySelector('#{cid} .hit').getBoundingClientRect().width")
        tab.mouse("mousePressed", x - w * 0.4, y, button="left", clickCount=1)
        tab.mouse("mouseMoved", x + w * 0.1, y, button="left")
        tab.mouse("mouseReleased", x + w * 0.1, y, button="left", clickCount=1)
        time.sleep(0.1)
        after = tab.eval(f"document.getElementById('{cid}').getAttribute('data-zoom')")
        assert after != before, (before, after)
        tab.mouse("mousePressed", x, y, button="left", clickCount=2)
        tab.mouse("mouseReleased", x, y, button="left", clickCount=2)
    # a table sorts by a numeric column when its header is clicked
    sorted_ok = tab.eval("""(function(){
      var val = function (td) {
        if (!td) return '';
        var v = td.getAttribute('data-v') !== null ? td.getAttribute('data-v') : td.textContent;
        return v.replace(/[,\\s%]/g, '');
      };
      var tables = Array.from(document.querySelectorAll('main table')).filter(t => t.tBodies[0] && t.tBodies[0].rows.length >= 2);
      if (!tables.length) return 'no table';
      for (var ti = 0; ti < tables.length; ti++) {
      var t = tables[ti], cols = t.tHead.rows[0].cells.length;
      for (var c = 0; c < cols; c++) {
        var vals = Array.from(t.tBodies[0].rows).map(r => val(r.cells[c]));
        if (vals.every(v => v !== '' && !isNaN(Number(v))) && new Set(vals).size > 1) {
          t.tHead.rows[0].cells[c].click();
          var after = Array.from(t.tBodies[0].rows).map(r => Number(val(r.cells[c])));
          for (var i = 1; i < after.length; i++) if (after[i] < after[i-1]) return 'not sorted: ' + after;
          return t.tHead.rows[0].cells[c].getAttribute('aria-sort');
        }
      }
      }
      return 'no numeric column';
    })()""")
    assert sorted_ok == "ascending", sorted_ok
    assert tab.errors == [] and tab.requests == []
    tab.screenshot(_shots(tmp_path) / f"{kind}.png", full_page=False)
    if kind == "plan":
        inst = base[0]
        names = set(tab.eval("Array.from(document.querySelectorAll('#map-network .node.site'))"
                             ".map(e => e.getAttribute('data-name'))"))
        assert names == {s.name for s in inst.sites}
        deposits = tab.eval("document.querySelectorAll('#map-network .node.deposit').length")
        assert deposits == len(inst.deposits)
        tab.hover("#map-network .node.site")
        assert "plant site" in tab.eval("document.querySelector('.tip').textContent")
        tab.screenshot_of("#map", _shots(tmp_path) / "plan-map.png")
        x, y = tab.center("#map-network svg")
        tab.mouse("mouseWheel", x, y, deltaX=0, deltaY=-300)
        time.sleep(0.1)
        assert float(tab.eval("document.getElementById('map-network').getAttribute('data-zoom')")) > 1
