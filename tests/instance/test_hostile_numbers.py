"""Hostile input: numbers the solver cannot trust, YAML and CSV surprises, files that are not files.

Every case must end in a clean ``InstanceError`` (exit 3 from the CLI, no traceback) that names the
file, the field and the value - never an internal error, a hang, or an "optimal" plan that is
physically impossible."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import yaml
from reeplan.cli.app import main
from reeplan.errors import InstanceError, Problem, UsageError
from reeplan.instance.io import load_instance, read_raw, write_csv_folder, write_yaml

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny.yaml"
TINY_TEXT = TINY.read_text(encoding="utf-8")
TINY_OPTIMUM = 300.0  # t HPO in 2027, derived by hand in the file's header


def problems(excinfo) -> list[Problem]:
    found = excinfo.value.problems
    assert found and all(isinstance(p, Problem) and p.message.strip() for p in found)
    return found


def instance_error(path: Path, overrides: list[str] | None = None) -> list[Problem]:
    with pytest.raises(InstanceError) as excinfo:
        load_instance(path, overrides)
    return problems(excinfo)


def tiny_with(tmp_path: Path, old: str, new: str, name: str = "bad.yaml") -> Path:
    """tiny.yaml with one line replaced (the line must exist exactly once)."""
    assert TINY_TEXT.count(old) == 1, old
    path = tmp_path / name
    path.write_text(TINY_TEXT.replace(old, new), encoding="utf-8")
    return path


def named(found: list[Problem], fieldname: str) -> Problem:
    """The one problem about ``fieldname``; its text names the file, the field and the value."""
    hits = [p for p in found if p.field.split(".")[-1] == fieldname]
    assert len(hits) == 1, found
    return hits[0]


def cli_exit(args: list, capsys) -> tuple[int, str]:
    """``main`` in process: the exit code it would give the shell, and stdout + stderr."""
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = 0 if exc.code is None else int(exc.code)
    out = capsys.readouterr()
    return code, out.out + out.err


def in_thread(fn, seconds: float):
    """Run ``fn`` in a daemon thread; (finished, value or exception, seconds taken)."""
    box: dict = {}

    def run():
        tick = time.perf_counter()
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["value"] = exc
        box["seconds"] = time.perf_counter() - tick

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), box.get("value"), box.get("seconds")


# --------------------------------------------------------------------------------------------
# Numbers that are not finite or not sane
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [".inf", "-.inf", ".nan", "1e400", "1e308", "1.0e+300", "9223372036854775808"])
def test_non_finite_or_huge_money_is_refused(tmp_path, text):
    path = tiny_with(tmp_path, "  total_bn_rub: 7\n", f"  total_bn_rub: {text}\n")
    p = named(instance_error(path), "total_bn_rub")
    assert p.file == str(path) and p.entity == "budget" and p.value is not None
    assert str(path) in str(p) and "total_bn_rub" in str(p) and repr(p.value) in str(p)


@pytest.mark.parametrize("old, new, fieldname", [
    ("    supply_t_per_yr: 1000\n", "    supply_t_per_yr: 1e308\n", "supply_t_per_yr"),
    ("    spare_energy_gwh_per_yr: 10\n", "    spare_energy_gwh_per_yr: .inf\n", "spare_energy_gwh_per_yr"),
    ("    distance_km: 500\n", "    distance_km: 1e6\n", "distance_km"),
    ("    tariff_rub_per_mwh: 2000\n", "    tariff_rub_per_mwh: 1e20\n", "tariff_rub_per_mwh"),
    ("    cost_bn_rub: 2\n", "    cost_bn_rub: 2000000\n", "cost_bn_rub"),
    ("    jobs_per_module: 100\n  - name: New Works", "    jobs_per_module: 1e7\n  - name: New Works",
     "jobs_per_module"),
])
def test_each_kind_has_an_upper_bound(tmp_path, old, new, fieldname):
    path = tiny_with(tmp_path, old, new)
    p = named(instance_error(path), fieldname)
    assert p.file == str(path) and ("less than or equal" in p.message or "finite" in p.message)


def test_huge_integer_module_count_is_refused(tmp_path):
    path = tiny_with(tmp_path, "    max_modules: 2\n", f"    max_modules: {2**63}\n")
    p = named(instance_error(path), "max_modules")
    assert p.value == 2**63 and "New Works" in p.row


def test_ranges_are_in_the_json_schema():
    from reeplan.instance.schema_json import instance_schema

    site = instance_schema()["$defs"]["Site"]["properties"]
    assert site["module_capacity_t_per_yr"]["maximum"] == 1e9
    assert site["capex_bn_rub_per_module"]["maximum"] == 1e6
    assert site["max_modules"]["maximum"] == 1e6


def test_csv_inf_and_nan_cells_are_refused(tmp_path):
    folder = write_csv_folder(load_instance(TINY), tmp_path / "csv")
    sites = folder / "sites.csv"
    lines = sites.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[2].split(",")  # file line 3: New Works
    row[header.index("module_capacity_t_per_yr")] = "inf"
    row[header.index("opex_m_rub_per_t")] = "nan"
    lines[2] = ",".join(row)
    sites.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = instance_error(folder)
    cap, opex = named(found, "module_capacity_t_per_yr"), named(found, "opex_m_rub_per_t")
    for p, value in ((cap, "inf"), (opex, "nan")):
        assert Path(p.file) == sites and "line 3" in p.row and p.value == value
        assert "finite" in p.message


# --------------------------------------------------------------------------------------------
# Booleans, sexagesimal numbers, octal and hex
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("old, new, fieldname", [
    ("  total_bn_rub: 7\n", "  total_bn_rub: true\n", "total_bn_rub"),
    ("    max_modules: 2\n", "    max_modules: true\n", "max_modules"),
    ("  start_year: 2025\n", "  start_year: false\n", "start_year"),
    ("    recovery_gain: 0.1\n", "    recovery_gain: true\n", "recovery_gain"),
])
def test_boolean_is_not_a_number(tmp_path, old, new, fieldname):
    p = named(instance_error(tiny_with(tmp_path, old, new)), fieldname)
    assert p.message == "expected a number, got a boolean" and p.value is (new.strip().endswith("true"))


def test_boolean_is_not_a_number_in_set():
    p = named(instance_error(TINY, ["budget.total_bn_rub=true"]), "total_bn_rub")
    assert p.message == "expected a number, got a boolean"


def test_sexagesimal_in_a_file_stays_a_string(tmp_path):
    path = tiny_with(tmp_path, "  total_bn_rub: 7\n", "  total_bn_rub: 1:30\n")
    p = named(instance_error(path), "total_bn_rub")
    assert p.value == "1:30" and "number" in p.message and p.file == str(path)


def test_sexagesimal_in_set_stays_a_string():
    found = instance_error(TINY, ["budget.total_bn_rub=1:30"])
    p = named(found, "total_bn_rub")
    assert p.value == "1:30"


@pytest.mark.parametrize("text", ["0x10", "0o7", "0b11", "1:30"])
def test_hex_octal_binary_are_not_numbers(tmp_path, text):
    path = tiny_with(tmp_path, "    lead_time_yr: 2\n    opex_m_rub_per_t: 1.0\n    electricity_mwh_per_t: 10\n"
                     "    jobs_per_module: 100\n  - name: New Works",
                     f"    lead_time_yr: {text}\n    opex_m_rub_per_t: 1.0\n    electricity_mwh_per_t: 10\n"
                     "    jobs_per_module: 100\n  - name: New Works")
    p = named(instance_error(path), "lead_time_yr")
    assert p.value == text


def test_leading_zero_is_decimal_not_octal(tmp_path):
    data, _ = read_raw(tiny_with(tmp_path, "  yearly_cap_bn_rub: {}\n", "  yearly_cap_bn_rub: {2026: 010}\n"))
    assert data["budget"]["yearly_cap_bn_rub"] in ({2026: "010"}, {2026: 10})  # never 8
    assert load_instance(tmp_path / "bad.yaml").budget.yearly_cap_bn_rub == {2026: 10.0}


def test_plain_words_that_yaml_1_1_reads_as_booleans_stay_words(tmp_path):
    path = tiny_with(tmp_path, "  - name: Mine\n", "  - name: Mine\n    region: NO\n")
    assert load_instance(path).deposits[0].region == "NO"


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, words", [
    ('"   "', "blank"),
    ('"Old\\u0007Works"', "control character"),
    ('"Old\\tWorks"', "control character"),
    ("N" * 101, "at most 100 characters"),
])
def test_bad_names_are_refused(tmp_path, name, words):
    path = tiny_with(tmp_path, "  - name: Mine\n", f"  - name: {name}\n")
    found = instance_error(path)
    hits = [p for p in found if p.entity == "deposits" and p.field == "name"]
    assert hits and words in hits[0].message, found


def test_a_hundred_character_name_is_fine(tmp_path):
    path = tiny_with(tmp_path, "name: tiny\n", f"name: {'n' * 100}\n")
    assert load_instance(path).name == "n" * 100


# --------------------------------------------------------------------------------------------
# YAML structure: duplicate keys, aliases, nesting, size
# --------------------------------------------------------------------------------------------


def _line_of(text: str, needle: str, start: int = 0) -> int:
    return text[:text.index(needle, start)].count("\n") + 1


def test_duplicate_key_names_both_lines(tmp_path):
    path = tiny_with(tmp_path, "  total_bn_rub: 7\n", "  total_bn_rub: 7\n  rd_envelope_bn_rub: 2\n  total_bn_rub: 700\n")
    text = path.read_text()
    first = _line_of(text, "  total_bn_rub: 7")
    second = _line_of(text, "  total_bn_rub: 700")
    (p,) = instance_error(path)
    assert p.file == str(path) and "duplicate key" in p.message and p.value == "total_bn_rub"
    assert f"line {first}" in p.message and f"line {second}" in p.message


def test_duplicate_key_in_a_flow_mapping(tmp_path):
    path = tiny_with(tmp_path, "  yearly_cap_bn_rub: {}\n", "  yearly_cap_bn_rub: {2026: 1, 2026: 2}\n")
    (p,) = instance_error(path)
    assert "duplicate key" in p.message and p.value == 2026


def test_duplicate_top_level_section(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(TINY_TEXT + "\nname: again\n")
    (p,) = instance_error(path)
    assert p.value == "name" and "duplicate key" in p.message


BOMB = textwrap.dedent("""\
    name: bomb
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
    description: *i
    deposits: *i
    sites: *i
    """)

CHILD = """
import sys, time
from reeplan.errors import InstanceError
from reeplan.instance.io import load_instance
tick = time.perf_counter()
try:
    load_instance(sys.argv[1])
except InstanceError as exc:
    text = str(exc)
    print(f"{time.perf_counter() - tick:.3f}")
    print(text[:2000])
"""


def test_alias_bomb_is_an_error_in_under_two_seconds(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    assert len(BOMB) < 1024
    # in a child process: before the fix this ran away with time and memory
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("loading a 1 KB alias bomb ran for more than 30 s")
    assert proc.returncode == 0, proc.stderr[-2000:]
    seconds, _, message = proc.stdout.partition("\n")
    assert float(seconds) < 2.0
    assert "alias" in message and str(path) in message


def test_a_single_anchor_is_refused_with_its_line(tmp_path):
    path = tiny_with(tmp_path, "  total_bn_rub: 7\n", "  total_bn_rub: &money 7\n  rd_envelope_bn_rub_x: *money\n")
    (p,) = instance_error(path)
    assert "alias" in p.message and "line" in p.message


@pytest.mark.parametrize("depth", [60, 5000])
def test_deep_nesting_is_an_error(tmp_path, depth):
    path = tmp_path / "deep.yaml"
    path.write_text("name: deep\ndescription: " + "[" * depth + "]" * depth + "\n")
    (p,) = instance_error(path)
    assert p.file == str(path) and "nest" in p.message and "50" in p.message


def test_deep_block_nesting_is_an_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("name: deep\n" + "".join(f"{' ' * i}k{i}:\n" for i in range(3000)) + " " * 3000 + "x: 1\n")
    (p,) = instance_error(path)
    assert "nest" in p.message


def test_file_size_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("REEPLAN_MAX_INPUT_MB", "0.001")  # about 1 KB; tiny.yaml is ~4 KB
    (p,) = instance_error(TINY)
    assert "REEPLAN_MAX_INPUT_MB" in p.message and p.file == str(TINY)
    monkeypatch.setenv("REEPLAN_MAX_INPUT_MB", "1")
    assert load_instance(TINY).name == "tiny"


def test_bad_size_limit_setting_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("REEPLAN_MAX_INPUT_MB", "lots")
    with pytest.raises(UsageError, match="REEPLAN_MAX_INPUT_MB"):
        load_instance(TINY)


def test_csv_table_size_is_bounded(tmp_path, monkeypatch):
    folder = write_csv_folder(load_instance(TINY), tmp_path / "csv")
    sites = folder / "sites.csv"
    sites.write_text(sites.read_text() + "\n" * 3000)
    monkeypatch.setenv("REEPLAN_MAX_INPUT_MB", "0.002")
    found = instance_error(folder)
    assert any(Path(p.file) == sites and "REEPLAN_MAX_INPUT_MB" in p.message for p in found)


def test_reeplan_written_yaml_still_loads(tmp_path):
    inst = load_instance(ROOT / "instances" / "siberia-2030.yaml")
    again = load_instance(write_yaml(inst, tmp_path / "instance.yaml"))
    assert again == inst
    # and so does a plain yaml.safe_dump of it (Result.write writes instance.yaml that way)
    (tmp_path / "plain.yaml").write_text(yaml.safe_dump(inst.model_dump(mode="json"), sort_keys=False,
                                                        allow_unicode=True))
    assert load_instance(tmp_path / "plain.yaml") == inst


def test_strings_that_look_like_numbers_round_trip(tmp_path):
    inst = load_instance(TINY)
    odd = inst.model_copy(update={"description": "1e5", "deposits": [
        inst.deposits[0].model_copy(update={"region": "09"})]})
    for dumped in (write_yaml(odd, tmp_path / "a.yaml"),):
        again = load_instance(dumped)
        assert again.description == "1e5" and again.deposits[0].region == "09"
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(odd.model_dump(mode="json")))
    again = load_instance(tmp_path / "b.yaml")
    assert again.description == "1e5" and again.deposits[0].region == "09"


# --------------------------------------------------------------------------------------------
# CSV tables
# --------------------------------------------------------------------------------------------


def test_csv_with_bom_loads(tmp_path):
    inst = load_instance(TINY)
    folder = write_csv_folder(inst, tmp_path / "csv")
    for table in ("sites.csv", "deposits.csv", "links.csv"):
        path = folder / table
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    scalars = folder / "scalars.yaml"
    scalars.write_bytes(b"\xef\xbb\xbf" + scalars.read_bytes())
    assert load_instance(folder) == inst


def test_csv_row_with_extra_cells_is_an_error(tmp_path):
    folder = write_csv_folder(load_instance(TINY), tmp_path / "csv")
    sites = folder / "sites.csv"
    lines = sites.read_text(encoding="utf-8").splitlines()
    lines[2] += ",surplus,more"
    sites.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = instance_error(folder)
    hits = [p for p in found if Path(p.file) == sites]
    assert len(hits) == 1, found
    p = hits[0]
    assert "line 3" in p.row and p.value == ["surplus", "more"] and "more cells than the header" in p.message


def test_csv_header_naming_a_column_twice_is_an_error(tmp_path):
    folder = write_csv_folder(load_instance(TINY), tmp_path / "csv")
    deposits = folder / "deposits.csv"
    lines = deposits.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",supply_t_per_yr"] + [line + ",5" for line in lines[1:]]
    deposits.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = instance_error(folder)
    assert any(Path(p.file) == deposits and p.field == "supply_t_per_yr" and "twice" in p.message for p in found)


@pytest.mark.parametrize("value, words", [("&a [1]", "anchor"), ("*a", "alias"), ("[" * 60 + "]" * 60, "nested"),
                                          ("{a: 1, a: 2}", "duplicate key")])
def test_set_values_follow_the_same_yaml_rules(value, words):
    (p,) = instance_error(TINY, [f"description={value}"])
    assert p.file == "--set" and words in p.message and p.field == "description"


# --------------------------------------------------------------------------------------------
# Files that are not regular files
# --------------------------------------------------------------------------------------------


def _unblock(fifo: Path) -> None:
    """Give a reader blocked on ``fifo`` an end of file (if one is blocked)."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return
    os.close(fd)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_fifo_is_refused_quickly(tmp_path):
    fifo = tmp_path / "x.yaml"
    os.mkfifo(fifo)
    try:
        done, value, seconds = in_thread(lambda: load_instance(fifo), 2.0)
    finally:
        _unblock(fifo)
    assert done, "load_instance blocked on a FIFO"
    assert isinstance(value, InstanceError), value
    (p,) = value.problems
    assert p.file == str(fifo) and "regular file" in p.message and seconds < 2.0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_fifo_csv_table_is_refused(tmp_path):
    folder = write_csv_folder(load_instance(TINY), tmp_path / "csv")
    (folder / "links.csv").unlink()
    os.mkfifo(folder / "links.csv")
    try:
        done, value, _ = in_thread(lambda: load_instance(folder), 2.0)
    finally:
        _unblock(folder / "links.csv")
    assert done and isinstance(value, InstanceError), value
    assert any("regular file" in p.message and p.file.endswith("links.csv") for p in value.problems)


def test_directory_where_a_file_is_expected(tmp_path):
    folder = write_csv_folder(load_instance(TINY), tmp_path / "csv")
    (folder / "sites.csv").unlink()
    (folder / "sites.csv").mkdir()
    found = instance_error(folder)
    assert any("regular file" in p.message and p.file.endswith("sites.csv") for p in found)
    scalars_dir = tmp_path / "csv2"
    scalars_dir.mkdir()
    (scalars_dir / "scalars.yaml").mkdir()
    found = instance_error(scalars_dir)
    assert any("regular file" in p.message for p in found)


def test_device_is_refused(tmp_path):
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null")
    link = tmp_path / "null.yaml"
    link.symlink_to("/dev/null")
    (p,) = instance_error(link)
    assert "regular file" in p.message


# --------------------------------------------------------------------------------------------
# Coefficients at build time
# --------------------------------------------------------------------------------------------


def _tiny_capacity(capacity: float):
    """tiny with New Works' module capacity set past validation (as a perturbed future could be)."""
    inst = load_instance(TINY)
    sites = [s.model_copy(update={"module_capacity_t_per_yr": capacity}) if s.name == "New Works" else s
             for s in inst.sites]
    return inst.model_copy(update={"sites": sites})


def test_huge_coefficient_is_refused_at_build():
    from reeplan.solving.pipeline import build

    with pytest.raises((InstanceError, UsageError)) as excinfo:
        build(_tiny_capacity(1e15))
    text = str(excinfo.value)
    assert "1e+15" in text and "New Works" in text and "1e+20" in text


@pytest.mark.parametrize("change, row, words", [
    (lambda i: {"deposits": [i.deposits[0].model_copy(update={"supply_t_per_yr": 1e16})]},
     "deposit_supply_constraint[Mine,2025]", "row bound 1e+16"),
    (lambda i: {"budget": i.budget.model_copy(update={"total_bn_rub": 1e300})}, "budget_total_constraint",
     "row bound 1e+300"),
    (lambda i: {"sites": [s.model_copy(update={"opex_m_rub_per_t": float("nan")}) for s in i.sites]}, "objective",
     "not a number"),
], ids=["supply", "budget", "nan-opex"])
def test_huge_bound_or_nan_is_refused_at_build(change, row, words):
    from reeplan.solving.pipeline import build

    inst = load_instance(TINY)
    with pytest.raises(InstanceError) as excinfo:
        build(inst.model_copy(update=change(inst)))
    found = problems(excinfo)
    assert any(row in p.row and words in p.message for p in found), found
    assert all(p.file == "model of 'tiny'" for p in found)


def test_huge_capacity_no_longer_gives_an_impossible_optimal_plan(tmp_path):
    """Before: module capacity 1e15 gave status optimal with 400 t HPO, above the 300 t that
    the 1,000 t of concentrate can give at all (exit 0). Now the file is refused, and so is the
    model of such an instance built in memory."""
    from reeplan.solving.pipeline import solve

    path = tiny_with(tmp_path, "    max_modules: 2\n    module_capacity_t_per_yr: 500\n",
                     "    max_modules: 2\n    module_capacity_t_per_yr: 1e15\n")
    named(instance_error(path), "module_capacity_t_per_yr")
    with pytest.raises((InstanceError, UsageError)):
        result = solve(_tiny_capacity(1e15), time_limit=30)
        assert result.objective <= TINY_OPTIMUM + 1e-6, "optimal plan above what the concentrate allows"


def test_tiny_coefficient_range_is_reported():
    from reeplan.solving import numerics
    from reeplan.solving.pipeline import build

    built = build(load_instance(TINY))
    report = numerics.coefficient_range(built.highs.linear)
    assert 0 < report.smallest <= report.largest < numerics.MAX_ABS
    assert report.ratio == pytest.approx(report.largest / report.smallest)
    assert report.ratio == pytest.approx(1e5)  # 1,000 t/yr of link capacity over 0.01 GWh/t of electricity
    assert report.offending == [] and numerics.check_model(built.highs.linear, "tiny").ratio == report.ratio


# --------------------------------------------------------------------------------------------
# The command line: exit 3, a message, no traceback
# --------------------------------------------------------------------------------------------


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "inf": tiny_with(tmp_path, "  total_bn_rub: 7\n", "  total_bn_rub: .inf\n", "inf.yaml"),
        "1e400": tiny_with(tmp_path, "  total_bn_rub: 7\n", "  total_bn_rub: 1e400\n", "e400.yaml"),
        "1e308": tiny_with(tmp_path, "    supply_t_per_yr: 1000\n", "    supply_t_per_yr: 1e308\n", "e308.yaml"),
        "bool": tiny_with(tmp_path, "  total_bn_rub: 7\n", "  total_bn_rub: true\n", "bool.yaml"),
        "sexagesimal": tiny_with(tmp_path, "  total_bn_rub: 7\n", "  total_bn_rub: 1:30\n", "sex.yaml"),
        "duplicate": tiny_with(tmp_path, "  total_bn_rub: 7\n", "  total_bn_rub: 7\n  total_bn_rub: 8\n", "dup.yaml"),
        "capacity": tiny_with(tmp_path, "    max_modules: 2\n    module_capacity_t_per_yr: 500\n",
                              "    max_modules: 2\n    module_capacity_t_per_yr: 1e15\n", "cap.yaml"),
    }
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: deep\ndescription: " + "[" * 5000 + "]" * 5000 + "\n")
    files["deep"] = deep
    folder = write_csv_folder(load_instance(TINY), tmp_path / "extra")
    sites = folder / "sites.csv"
    sites.write_text(sites.read_text().replace("\n", ",surplus\n", 2).replace(",surplus", "", 1))
    files["csv-extra"] = folder
    return files


@pytest.mark.parametrize("case", ["inf", "1e400", "1e308", "bool", "sexagesimal", "duplicate", "capacity",
                                  "deep", "csv-extra"])
def test_cli_validate_exits_3_without_traceback(tmp_path, capsys, case):
    path = _bad_files(tmp_path)[case]
    code, output = cli_exit(["validate", path], capsys)
    assert code == 3, output
    assert "Traceback" not in output and "internal error" not in output
    assert "problem" in output


def test_cli_set_sexagesimal_exits_3(capsys):
    code, output = cli_exit(["validate", TINY, "--set", "budget.total_bn_rub=1:30"], capsys)
    assert code == 3 and "1:30" in output and "Traceback" not in output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_cli_validate_in_a_real_process(tmp_path):
    """One real ``reeplan validate`` per hostile file that used to hang: the alias bomb and a FIFO."""
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    exe = [sys.executable, "-m", "reeplan"]
    try:
        for path in (bomb, fifo):
            try:
                proc = subprocess.run([*exe, "validate", str(path)], capture_output=True, text=True, timeout=30)
            except subprocess.TimeoutExpired:
                pytest.fail(f"reeplan validate {path.name} ran for more than 30 s")
            assert proc.returncode == 3, proc.stderr[-2000:]
            assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
            assert str(path.name) in proc.stderr
    finally:
        _unblock(fifo)
