"""User text is data, never markup: names, paths, ``--set`` values and error messages print literally.

Rich markup (``[/]``, ``[red]x``), emoji codes (``:100:``) and matplotlib mathtext (``$x^$``) in an
instance name or a site name must neither crash a command nor change what it prints, writes or draws.
Terminal control characters (``\x1b[31m``) in a name, a path or a message reach the terminal and the
page as escapes (``\\x1b``), never raw.
"""

from __future__ import annotations

import html
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from reeplan.cli import console
from reeplan.cli.app import main

ROOT = Path(__file__).resolve().parents[2]
TWO_SITES = ROOT / "tests" / "data" / "two_sites.yaml"
WEIRD = "[/] [red]x[/red] :100: $x$ $x^$"
CTRL = "\x1b[31m"  # an ANSI escape: starts with the control character ESC
NAME = f"inst {WEIRD}"
SITE = f"New {WEIRD}"  # the site the optimal plan builds: it shows in the plants table and the charts


def literal(text: str) -> str:
    """How a user string must appear on the terminal: itself, control characters written as escapes."""
    return text.replace("\x1b", "\\x1b")


def flat(text: str) -> str:
    """Whitespace collapsed: a line the console wrapped reads as one again."""
    return " ".join(text.split())


def weird_instance(folder: Path, name: str = NAME, site: str = SITE) -> Path:
    data = yaml.safe_load(TWO_SITES.read_text())
    data["name"] = name
    for entity, key in (("sites", "name"), ("power_connections", "site"), ("links", "site")):
        for row in data[entity]:
            if row[key] == "New":
                row[key] = site
    path = folder / "weird.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def run(args: list) -> int:
    """``main`` in process; the exit code the shell would see."""
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return 0 if exc.code is None else int(exc.code)
    return 0


@pytest.fixture
def wide(monkeypatch):
    """Both consoles wide enough that no table cell folds a name."""
    for c in (console.out_console, console.err_console):
        monkeypatch.setattr(c, "width", 400)


def assert_clean(text: str) -> None:
    assert "\x1b" not in text  # no raw control character reached the terminal
    assert "\U0001f4af" not in text  # ':100:' stayed text
    assert "Traceback" not in text and "internal error" not in text


# --------------------------------------------------------------------------------------------
# the helpers
# --------------------------------------------------------------------------------------------


def test_shown_escapes_markup_and_control_characters():
    from reeplan.text import plain, shown
    from rich.console import Console

    c = Console(file=None, highlight=False, emoji=False, width=400, force_terminal=False)
    with c.capture() as cap:
        c.print(f"[bold]name:[/] {shown(WEIRD)}")
    assert cap.get().rstrip("\n") == f"name: {literal(WEIRD)}"
    assert plain("a\x1bb\x7fc\x9bd\te\nf\rg") == "a\\x1bb\\x7fc\\x9bd\te\nf\\rg"
    assert shown("plain text") == "plain text"
    assert shown(None) == "None" and shown(3) == "3"


def test_consoles_never_make_emoji():
    for c in (console.out_console, console.err_console):
        with c.capture() as cap:
            c.print("300:100:50 :link:")
        assert cap.get().strip() == "300:100:50 :link:"


# --------------------------------------------------------------------------------------------
# validate, solve, runs, report, compare
# --------------------------------------------------------------------------------------------


def test_validate_prints_the_names_literally(tmp_path, capsys):
    code = run(["validate", weird_instance(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"valid {literal(NAME)}: 2025-2027" in flat(out)
    assert_clean(out + err)


def test_error_about_a_bad_name_prints_it_literally(tmp_path, capsys):
    data = yaml.safe_load(TWO_SITES.read_text())
    data["links"][0]["site"] = f"Oldd {WEIRD}"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code = run(["validate", path])
    out, err = capsys.readouterr()
    assert code == 3, err
    assert "error:" in err and literal(f"Oldd {WEIRD}") in err
    assert_clean(out + err)


def test_solve_prints_the_names_literally(tmp_path, capsys, wide):
    folder = tmp_path / f"out {WEIRD} {CTRL}"  # a path is user text too
    code = run(["solve", weird_instance(tmp_path), "--out", folder, "--no-store"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"solving {literal(NAME)} (max-hpo)" in err
    assert f"OPTIMAL {literal(NAME)} ·" in out
    assert literal(SITE) in out  # the plants table
    assert f"wrote summary.json and tables to {literal(str(folder))}/" in out
    assert_clean(out + err)
    assert (folder / "summary.json").is_file()


def test_control_character_in_a_name_never_reaches_the_terminal(tmp_path, capsys):
    """Whether the instance accepts such a name or rejects it, the name prints with ESC escaped."""
    code = run(["validate", weird_instance(tmp_path, name=f"inst {WEIRD} {CTRL}", site=f"New {CTRL}")])
    out, err = capsys.readouterr()
    assert code in (0, 3), err
    assert literal(f"inst {WEIRD} {CTRL}") in flat(out if code == 0 else err)
    assert_clean(out + err)


def test_runs_list_and_show_print_the_names_literally(tmp_path, capsys, wide):
    store = tmp_path / "runs.sqlite"
    assert run(["solve", weird_instance(tmp_path), "--out", tmp_path / "out", "--quiet", "--store", store]) == 0
    capsys.readouterr()
    assert run(["runs", "list", "--store", store]) == 0
    out, err = capsys.readouterr()
    assert literal(NAME) in out
    assert_clean(out + err)
    assert run(["runs", "show", "1", "--store", store]) == 0
    out, err = capsys.readouterr()
    assert literal(NAME) in out and literal(SITE) in out
    assert_clean(out + err)


def test_report_writes_the_names_and_draws_the_charts(tmp_path, capsys):
    folder = tmp_path / f"out {CTRL}"  # shown on the page as the source of the plan
    assert run(["solve", weird_instance(tmp_path), "--out", folder, "--quiet", "--no-store"]) == 0
    page, pngs = tmp_path / "report.html", tmp_path / "png"
    code = run(["report", folder, "--html", page, "--png", pngs])
    out, err = capsys.readouterr()
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    assert html.escape(literal(NAME)) in text and html.escape(literal(SITE)) in text
    assert html.escape(literal(str(folder))) in text and "\x1b" not in text
    assert all(p.stat().st_size > 1000 for p in pngs.glob("*.png"))
    assert {"gantt.png", "spend.png", "output.png"} <= {p.name for p in pngs.glob("*.png")}
    assert_clean(out + err)


def test_compare_labels_are_data(tmp_path, capsys, wide):
    a, b = tmp_path / "[red]a$x^$.yaml", tmp_path / ":100:[b].yaml"
    a.write_text(TWO_SITES.read_text())
    b.write_text(TWO_SITES.read_text())
    code = run(["compare", a, f"{b}@budget.total_bn_rub=6", "--out", tmp_path / "cmp", "--no-store"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "[red]a$x^$" in out and ":100:[b]@budget.total_bn_rub=6" in out
    assert_clean(out + err)
    assert (tmp_path / "cmp" / "spend_by_area.png").is_file()
    assert (tmp_path / "cmp" / "output_trajectory.png").is_file()


def test_sweep_curve_takes_a_dollar_in_its_labels(tmp_path):
    from reeplan.report.compare_plots import sweep_curve  # defers matplotlib

    df = pd.DataFrame({"$x^$": [1.0, 2.0], "status": ["optimal", "optimal"], "hpo_t": [1.0, 2.0]})
    assert sweep_curve(df, "$x^$", tmp_path / "curve.png").stat().st_size > 1000


def test_chart_style_has_no_math():
    from reeplan.report.chart_style import chart_style  # defers matplotlib

    assert chart_style()["text.parse_math"] is False


# --------------------------------------------------------------------------------------------
# --set values and the messages they give
# --------------------------------------------------------------------------------------------


def test_error_message_shows_colons_literally(capsys):
    code = run(["validate", TWO_SITES, "--set", "budget.total_bn_rub=300:100:50"])
    out, err = capsys.readouterr()
    assert code == 3
    assert "300:100:50" in err
    assert_clean(out + err)


@pytest.mark.parametrize("override", ["[/]", "budget.[/]=1", "budget.total_bn_rub=x[/]", "budget.total_bn_rub=[/]",
                                      "budget.total_bn_rub=[red]x"])
def test_set_value_with_markup_is_a_clean_error(override, capsys):
    code = run(["validate", TWO_SITES, "--set", override])
    out, err = capsys.readouterr()
    assert code in (2, 3), err
    assert err.startswith("error:")
    assert_clean(out + err)


def test_set_name_with_markup_prints_literally(capsys):
    code = run(["validate", TWO_SITES, "--set", "name=x [/] [red]y 1:100:2"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "valid x [/] [red]y 1:100:2: 2025-2027" in out
    assert_clean(out + err)


def test_subprocess_validate_prints_the_names_literally(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "reeplan", "validate", str(weird_instance(tmp_path))], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"valid {literal(NAME)}: 2025-2027" in flat(proc.stdout)
    assert_clean(proc.stdout + proc.stderr)
