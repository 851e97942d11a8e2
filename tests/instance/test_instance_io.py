"""Instance files in and out: YAML and CSV-folder round trips, error collection, ``--set``
overrides, and property tests that random bad input gives an InstanceError and nothing else."""

from __future__ import annotations

import copy
import signal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from reeplan.errors import InstanceError, Problem
from reeplan.instance.io import (
    Source,
    instance_sha256,
    load_instance,
    read_raw,
    write_csv_folder,
    write_yaml,
)
from reeplan.instance.overrides import apply_overrides
from reeplan.instance.schema import (
    ENTITY_TABLES,
    Budget,
    Horizon,
    Instance,
    PlantsOnlineRule,
    Technology,
)
from reeplan.instance.validate import validate_raw

DATA = Path(__file__).resolve().parents[1] / "data"
TWO_SITES = DATA / "two_sites.yaml"
SIBERIA = Path(__file__).resolve().parents[2] / "instances" / "siberia-2030.yaml"


def two_sites_raw() -> dict:
    """The valid two-site instance as plain data (a fresh copy each call)."""
    data, _ = read_raw(TWO_SITES)
    return copy.deepcopy(data)


def write_data(tmp_path: Path, data: dict, name: str = "inst.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problems_of(excinfo) -> list[Problem]:
    problems = excinfo.value.problems
    assert problems, "an InstanceError must carry at least one problem"
    for p in problems:
        assert isinstance(p, Problem)
        assert p.message.strip(), f"empty message in {p!r}"
    return problems


def find(problems: list[Problem], entity: str, field: str, message: str = "") -> list[Problem]:
    return [p for p in problems if p.entity == entity and p.field == field and message in p.message]


# --------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------


def test_yaml_loads_into_instance():
    inst = load_instance(TWO_SITES)
    assert isinstance(inst, Instance)
    assert inst.name == "two-sites"
    assert [s.name for s in inst.sites] == ["Old", "New"]
    assert inst.years == [2025, 2026, 2027]
    assert inst.target_year == 2027
    assert inst.policy.plants_online is not None and inst.policy.plants_online.min_count == 1
    assert inst.power_connections[0].exists is True
    assert inst.links[1].capacity_t_per_yr == 0


@pytest.mark.parametrize("path", [TWO_SITES, SIBERIA], ids=["two_sites", "siberia"])
def test_csv_folder_roundtrip(tmp_path, path):
    inst = load_instance(path)
    folder = write_csv_folder(inst, tmp_path / "csv")
    assert (folder / "scalars.yaml").is_file()
    for entity in ENTITY_TABLES:
        assert (folder / f"{entity}.csv").is_file(), entity
    again = load_instance(folder)
    assert again == inst
    assert instance_sha256(again) == instance_sha256(inst)


@pytest.mark.parametrize("path", [TWO_SITES, SIBERIA], ids=["two_sites", "siberia"])
def test_yaml_roundtrip(tmp_path, path):
    inst = load_instance(path)
    out = write_yaml(inst, tmp_path / "again.yaml")
    again = load_instance(out)
    assert again == inst
    assert instance_sha256(again) == instance_sha256(inst)


def test_csv_then_yaml_then_csv_keeps_hash(tmp_path):
    inst = load_instance(TWO_SITES)
    a = load_instance(write_csv_folder(inst, tmp_path / "a"))
    b = load_instance(write_yaml(a, tmp_path / "b.yaml"))
    c = load_instance(write_csv_folder(b, tmp_path / "c"))
    assert {instance_sha256(x) for x in (inst, a, b, c)} == {instance_sha256(inst)}


def test_sha256_changes_with_content():
    base = load_instance(TWO_SITES)
    changed = load_instance(TWO_SITES, ["budget.total_bn_rub=11"])
    assert instance_sha256(base) != instance_sha256(changed)
    assert len(instance_sha256(base)) == 64


# --------------------------------------------------------------------------------------------
# Every problem collected at once
# --------------------------------------------------------------------------------------------

SITE = dict(max_modules=2, module_capacity_t_per_yr=1000, capex_bn_rub_per_module=2, lead_time_yr=1,
            opex_m_rub_per_t=1, electricity_mwh_per_t=8, jobs_per_module=100)


def many_problems() -> dict:
    """Seven different problems in one instance, each on its own row where it is a row problem."""
    return dict(
        name="many-problems",
        horizon=dict(start_year=2025, end_year=2027),
        budget=dict(total_bn_rub=10, rd_envelope_bn_rub=2),
        technology=dict(recovery_today=1.5, hp_share_today=0.2),  # recovery above 1
        deposits=[dict(name="D", supply_t_per_yr=3000)],
        sites=[
            dict(SITE, name="Alpha", module_capacity_t_per_yr=-1000),  # negative capacity
            dict(SITE, name="Beta", lead_time_yr=9),  # longer than the 2-year horizon
            dict(SITE, name="Gamma", development_cost_bn_ruub=1),  # unknown field (typo)
            dict(SITE, name="Gamma"),  # duplicate name
        ],
        links=[dict(name="D-Alpha", deposit="D", site="Alphaa", mode="rail", distance_km=100,  # unknown site
                    tariff_rub_per_t_km=2, capacity_t_per_yr=5000)],
        rd_programmes=[  # a prerequisite cycle
            dict(name="A", cost_bn_rub=1, duration_yr=1, prerequisites=["B"]),
            dict(name="B", cost_bn_rub=1, duration_yr=1, prerequisites=["A"]),
        ],
    )


def test_yaml_reports_every_problem(tmp_path):
    path = write_data(tmp_path, many_problems(), "many.yaml")
    with pytest.raises(InstanceError) as excinfo:
        load_instance(path)
    problems = problems_of(excinfo)
    assert {p.file for p in problems} == {str(path)}

    (rec,) = [p for p in find(problems, "technology", "recovery_today") if p.value == 1.5][:1]
    assert rec.row == ""

    (cap,) = find(problems, "sites", "module_capacity_t_per_yr")
    assert cap.value == -1000 and "Alpha" in cap.row and "#1" in cap.row

    (lead,) = find(problems, "sites", "lead_time_yr")
    assert lead.value == 9 and "Beta" in lead.row and "horizon" in lead.message

    (typo,) = find(problems, "sites", "development_cost_bn_ruub")
    assert typo.value == 1 and "Gamma" in typo.row and "#3" in typo.row
    assert "development_cost_bn_rub" in typo.hint  # the close match is suggested

    (dup,) = find(problems, "sites", "name", "duplicate")
    assert dup.value == "Gamma" and "#4" in dup.row and "Gamma" in dup.row

    (ref,) = find(problems, "links", "site")
    assert ref.value == "Alphaa" and "D-Alpha" in ref.row and "unknown" in ref.message
    assert "Alpha" in ref.hint

    cycle = find(problems, "rd_programmes", "prerequisites", "cycle")
    assert cycle and all(p.value in {"A", "B"} for p in cycle)
    assert {"'A'" in p.row or "'B'" in p.row for p in cycle} == {True}

    text = str(excinfo.value)
    assert text.startswith(f"{len(problems)} problem")
    for needle in ("recovery_today", "module_capacity_t_per_yr", "lead_time_yr", "development_cost_bn_ruub",
                   "duplicate name", "Alphaa", "cycle"):
        assert needle in text


def test_problems_are_not_duplicated(tmp_path):
    path = write_data(tmp_path, many_problems())
    with pytest.raises(InstanceError) as excinfo:
        load_instance(path)
    keys = [(p.file, p.entity, p.row, p.field, p.message) for p in excinfo.value.problems]
    assert len(keys) == len(set(keys))


def test_csv_folder_bad_cell_names_file_and_line(tmp_path):
    folder = write_csv_folder(load_instance(TWO_SITES), tmp_path / "csv")
    sites_csv = folder / "sites.csv"
    lines = sites_csv.read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("module_capacity_t_per_yr")
    row = lines[2].split(",")  # file line 3: the site "New"
    assert row[0] == "New"
    row[col] = "-5"
    lines[2] = ",".join(row)
    links_csv = folder / "links.csv"
    links = links_csv.read_text().replace("D,New,", "D,Neww,")
    links_csv.write_text(links)
    sites_csv.write_text("\n".join(lines) + "\n")
    scalars = yaml.safe_load((folder / "scalars.yaml").read_text())
    scalars["budget"]["total_bn_rub"] = -1
    (folder / "scalars.yaml").write_text(yaml.safe_dump(scalars))

    with pytest.raises(InstanceError) as excinfo:
        load_instance(folder)
    problems = problems_of(excinfo)

    (cap,) = find(problems, "sites", "module_capacity_t_per_yr")
    assert Path(cap.file).name == "sites.csv" and Path(cap.file).parent == folder
    assert "line 3" in cap.row and "New" in cap.row
    assert str(cap.value) == "-5"

    (ref,) = find(problems, "links", "site")
    assert Path(ref.file).name == "links.csv" and "line 3" in ref.row and ref.value == "Neww"
    assert "New" in ref.hint

    (budget,) = find(problems, "budget", "total_bn_rub")
    assert Path(budget.file).name == "scalars.yaml" and budget.value == -1
    assert "sites.csv" in str(excinfo.value) and "line 3" in str(excinfo.value)


def test_csv_unknown_column_is_reported(tmp_path):
    folder = write_csv_folder(load_instance(TWO_SITES), tmp_path / "csv")
    deposits = folder / "deposits.csv"
    deposits.write_text(deposits.read_text().replace("supply_t_per_yr", "suply_t_per_yr"))
    with pytest.raises(InstanceError) as excinfo:
        load_instance(folder)
    problems = problems_of(excinfo)
    (extra,) = find(problems, "deposits", "suply_t_per_yr")
    assert Path(extra.file).name == "deposits.csv" and "line 2" in extra.row
    assert "supply_t_per_yr" in extra.hint
    assert find(problems, "deposits", "supply_t_per_yr")  # and the real column is now missing


def test_missing_required_field_is_named(tmp_path):
    data = two_sites_raw()
    del data["sites"][1]["max_modules"]
    del data["budget"]["total_bn_rub"]
    with pytest.raises(InstanceError) as excinfo:
        load_instance(write_data(tmp_path, data))
    problems = problems_of(excinfo)
    (site,) = find(problems, "sites", "max_modules")
    assert "New" in site.row and "#2" in site.row
    assert find(problems, "budget", "total_bn_rub")


def test_horizon_and_policy_cross_checks(tmp_path):
    data = two_sites_raw()
    data["horizon"]["target_year"] = 2030
    data["policy"]["plants_online"]["year"] = 2040
    data["budget"]["yearly_cap_bn_rub"] = {2050: 1}
    data["sites"][0]["existing_modules"] = 5
    with pytest.raises(InstanceError) as excinfo:
        load_instance(write_data(tmp_path, data))
    problems = problems_of(excinfo)
    assert find(problems, "horizon", "target_year")[0].value == 2030
    rule = find(problems, "policy", "year")[0]
    assert rule.row == "plants_online" and rule.value == 2040
    assert find(problems, "budget", "yearly_cap_bn_rub.2050")
    assert find(problems, "sites", "existing_modules", "max_modules")[0].value == 5


def test_end_before_start(tmp_path):
    data = two_sites_raw()
    data["horizon"]["end_year"] = 2020
    with pytest.raises(InstanceError) as excinfo:
        load_instance(write_data(tmp_path, data))
    (p,) = find(problems_of(excinfo), "horizon", "end_year")
    assert p.value == 2020 and "before" in p.message


# --------------------------------------------------------------------------------------------
# File-level errors: always an InstanceError naming the path
# --------------------------------------------------------------------------------------------


def _file_error(path) -> Problem:
    with pytest.raises(InstanceError) as excinfo:
        load_instance(path)
    (p,) = problems_of(excinfo)
    assert p.file == str(path)
    return p


def test_missing_path(tmp_path):
    p = _file_error(tmp_path / "nope.yaml")
    assert "no such" in p.message


def test_folder_without_scalars(tmp_path):
    (tmp_path / "sites.csv").write_text("name\nx\n")
    p = _file_error(tmp_path)
    assert "scalars.yaml" in p.message


def test_invalid_yaml_syntax(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nhorizon: {start_year: 2025, end_year: [2027\nbudget: 1\n")
    p = _file_error(path)
    assert "YAML" in p.message and "line" in p.message


def test_yaml_list_instead_of_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- name: x\n- horizon: 1\n")
    p = _file_error(path)
    assert "mapping" in p.message and p.value == "list"


def test_empty_yaml(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert "mapping" in _file_error(path).message


def test_wrong_suffix(tmp_path):
    path = tmp_path / "instance.txt"
    path.write_text(TWO_SITES.read_text())
    p = _file_error(path)
    assert p.value == ".txt" and "type" in p.message


def test_binary_file(tmp_path):
    path = tmp_path / "garbage.yaml"
    path.write_bytes(b"\xff\xfe\x00\x81name: x")
    assert "cannot read" in _file_error(path).message


def test_invalid_scalars_yaml_in_folder(tmp_path):
    folder = write_csv_folder(load_instance(TWO_SITES), tmp_path / "csv")
    (folder / "scalars.yaml").write_text("name: [unclosed\n")
    with pytest.raises(InstanceError) as excinfo:
        load_instance(folder)
    (p,) = problems_of(excinfo)
    assert Path(p.file).name == "scalars.yaml"


def test_json_instance_is_accepted(tmp_path):
    import json

    path = tmp_path / "inst.json"
    path.write_text(json.dumps(load_instance(TWO_SITES).model_dump(mode="json")))
    assert load_instance(path) == load_instance(TWO_SITES)


# --------------------------------------------------------------------------------------------
# --set overrides
# --------------------------------------------------------------------------------------------


def test_override_scalar():
    inst = load_instance(TWO_SITES, ["budget.total_bn_rub=500"])
    assert inst.budget.total_bn_rub == 500
    assert load_instance(TWO_SITES).budget.total_bn_rub == 10


def test_override_entity_row_by_name():
    inst = load_instance(TWO_SITES, ["sites.New.capex_bn_rub_per_module=3"])
    assert [s.capex_bn_rub_per_module for s in inst.sites] == [1, 3]


def test_override_entity_row_by_index_and_bool():
    inst = load_instance(TWO_SITES, ["sites.0.max_modules=2", "policy.plants_online.enabled=false"])
    assert inst.sites[0].max_modules == 2
    assert inst.policy.plants_online.enabled is False


def test_override_adds_optional_field():
    inst = load_instance(TWO_SITES, ["horizon.target_year=2026"])
    assert inst.target_year == 2026


def test_override_dict_form_does_not_mutate_input():
    data = two_sites_raw()
    before = copy.deepcopy(data)
    out = apply_overrides(data, {"budget.total_bn_rub": 7, "sites.New.max_modules": 1})
    assert data == before
    assert out["budget"]["total_bn_rub"] == 7 and out["sites"][1]["max_modules"] == 1


@pytest.mark.parametrize("override, close", [
    ("budgt.total_bn_rub=5", "budget"),
    ("sites.Nw.capex_bn_rub_per_module=3", "New"),
    ("nosuch.path=1", None),
])
def test_override_unknown_path(override, close):
    with pytest.raises(InstanceError) as excinfo:
        load_instance(TWO_SITES, [override])
    (p,) = problems_of(excinfo)
    assert p.file == "--set"
    assert "--set" in str(excinfo.value)
    assert override.split("=")[0] in str(excinfo.value)
    if close:
        assert f"did you mean {close!r}" in p.hint


def test_override_unknown_leaf_names_set():
    with pytest.raises(InstanceError) as excinfo:
        load_instance(TWO_SITES, ["budget.totl_bn_rub=5"])
    (p,) = problems_of(excinfo)
    assert "total_bn_rub" in p.hint  # already true
    assert p.file == "--set"


def test_override_several_bad_reported_together():
    with pytest.raises(InstanceError) as excinfo:
        load_instance(TWO_SITES, ["nosuch.a=1", "sites.Nope.max_modules=2"])
    assert len(problems_of(excinfo)) == 2


@pytest.mark.parametrize("override", ["foo", "=5", " =5"])
def test_override_malformed(override):
    with pytest.raises(InstanceError) as excinfo:
        load_instance(TWO_SITES, [override])
    (p,) = problems_of(excinfo)
    assert p.file == "--set" and "PATH=VALUE" in p.message


@pytest.mark.parametrize("override", ["budget=1", "sites.New=1", "policy.plants_online=3"])
def test_override_section_path_rejected(override):
    with pytest.raises(InstanceError) as excinfo:
        load_instance(TWO_SITES, [override])
    (p,) = problems_of(excinfo)
    assert p.file == "--set" and "section" in p.message


def test_override_below_a_scalar_rejected():
    with pytest.raises(InstanceError) as excinfo:
        load_instance(TWO_SITES, ["budget.total_bn_rub.x=1"])
    assert problems_of(excinfo)[0].file == "--set"


def test_override_wrong_type_caught_by_validation():
    with pytest.raises(InstanceError) as excinfo:
        load_instance(TWO_SITES, ["budget.total_bn_rub=abc"])
    (p,) = find(problems_of(excinfo), "budget", "total_bn_rub")
    assert p.value == "abc"


def test_override_out_of_range_caught_by_validation():
    with pytest.raises(InstanceError) as excinfo:
        load_instance(TWO_SITES, ["technology.recovery_today=1.5"])
    assert find(problems_of(excinfo), "technology", "recovery_today")


def test_override_on_csv_folder(tmp_path):
    folder = write_csv_folder(load_instance(TWO_SITES), tmp_path / "csv")
    inst = load_instance(folder, ["sites.New.capex_bn_rub_per_module=3", "budget.total_bn_rub=500"])
    assert inst.sites[1].capex_bn_rub_per_module == 3 and inst.budget.total_bn_rub == 500


# --------------------------------------------------------------------------------------------
# Property tests: random bad values give an Instance or an InstanceError, nothing else
# --------------------------------------------------------------------------------------------

SOURCE = Source(Path("x.yaml"), "yaml")
BASE = two_sites_raw()

# (path to the mapping, the model that validates it)
CONTAINERS: list[tuple[tuple, type]] = [
    ((), Instance),
    (("horizon",), Horizon),
    (("budget",), Budget),
    (("technology",), Technology),
    (("policy", "plants_online"), PlantsOnlineRule),
] + [((entity, i), ENTITY_TABLES[entity]) for entity, rows in BASE.items() if entity in ENTITY_TABLES
     for i in range(len(rows))]


values = st.one_of(
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=-1e-9),
    st.integers(),
    st.integers(min_value=-5, max_value=3000),
    st.none(),
    st.booleans(),
    st.lists(st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
)

# A policy rule's year may be null or absent: the instance fills in the target year (the rule model
# alone would reject None), so it is left out of this model-by-model comparison.
field_choice = st.sampled_from(CONTAINERS).flatmap(
    lambda c: st.tuples(st.just(c), st.sampled_from(sorted(
        f for f in c[1].model_fields if not (c[0][:1] == ("policy",) and f == "year")))))


def _at(data: dict, path: tuple):
    node = data
    for key in path:
        node = node[key]
    return node


def _fails_own_model(model: type, mapping: dict, fieldname: str) -> bool:
    """Whether the mutated field is wrong on its own (its model rejects it at that field)."""
    try:
        model.model_validate(mapping)
    except ValidationError as exc:
        return any(loc and str(loc[0]) == fieldname for loc in (e["loc"] for e in exc.errors()))
    return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(choice=field_choice, value=values)
def test_random_field_value_gives_instance_or_instance_error(choice, value):
    (path, model), fieldname = choice
    data = copy.deepcopy(BASE)
    container = _at(data, path)
    container[fieldname] = value
    try:
        inst = validate_raw(data, SOURCE)
    except InstanceError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        if _fails_own_model(model, container, fieldname):
            assert fieldname in str(exc)
    else:
        assert isinstance(inst, Instance)
        assert not _fails_own_model(model, container, fieldname)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(choice=field_choice, value=values)
def test_random_field_value_through_a_file(tmp_path_factory, choice, value):
    (path, _), fieldname = choice
    data = copy.deepcopy(BASE)
    _at(data, path)[fieldname] = value
    file = tmp_path_factory.mktemp("prop") / "x.yaml"
    file.write_text(yaml.safe_dump(data))
    try:
        assert isinstance(load_instance(file), Instance)
    except InstanceError as exc:
        assert exc.problems


# A policy rule's year is required by the schema but filled in with the target year when omitted
# (so that --set can switch on a rule the file lacks): deleting it is not an error.
REQUIRED = [(path, name) for path, model in CONTAINERS for name, info in model.model_fields.items()
            if info.is_required() and name in _at(BASE, path) and not (path[:1] == ("policy",) and name == "year")]


@settings(max_examples=60, deadline=None)
@given(choice=st.sampled_from(REQUIRED))
def test_deleting_a_required_key_gives_instance_error(choice):
    path, fieldname = choice
    data = copy.deepcopy(BASE)
    del _at(data, path)[fieldname]
    with pytest.raises(InstanceError) as excinfo:
        validate_raw(data, SOURCE)
    assert fieldname in str(excinfo.value)
    assert any(p.field.split(".")[-1] == fieldname or p.entity == fieldname for p in excinfo.value.problems)


def test_every_required_key_is_covered():
    # the deletion property samples from these; make sure it sees rows and sections alike
    entities = {path[0] for path, _ in REQUIRED if path}
    assert {"horizon", "budget", "technology", "sites", "links", "deposits", "rd_programmes"} <= entities
    assert ((), "sites") in REQUIRED


# --------------------------------------------------------------------------------------------
# Regression tests for crashes and wrong answers found by these tests (fixed)
# --------------------------------------------------------------------------------------------


def _set(data: dict, dotted: str, value) -> dict:
    *head, last = dotted.split(".")
    node = data
    for key in head:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    return data


INF_REASON = ("BUG: validate._as_int() catches TypeError/ValueError but not OverflowError, so a YAML '.inf' in a "
              "year, lead time or module count crashes load_instance with OverflowError ('cannot convert float "
              "infinity to integer') instead of raising InstanceError (the CLI then exits 1, not 3)")


@pytest.mark.parametrize("dotted", [
    "horizon.start_year", "horizon.end_year", "horizon.target_year", "sites.0.lead_time_yr",
    "sites.0.max_modules", "sites.1.existing_modules", "rd_programmes.0.duration_yr", "links.0.transit_yr",
    "policy.plants_online.year",
])
def test_inf_in_integer_field_is_an_instance_error(tmp_path, dotted):
    path = write_data(tmp_path, _set(two_sites_raw(), dotted, float("inf")))
    assert ".inf" in path.read_text()
    with pytest.raises(InstanceError) as excinfo:
        load_instance(path)
    assert dotted.split(".")[-1] in str(excinfo.value)


def test_inf_yearly_cap_key_is_an_instance_error(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(TWO_SITES.read_text().replace("rd_envelope_bn_rub: 2}",
                                                  "rd_envelope_bn_rub: 2, yearly_cap_bn_rub: {.inf: 1}}"))
    with pytest.raises(InstanceError):
        load_instance(path)


UNHASHABLE_REASON = ("BUG: validate._reference_problems() puts names and references into sets/dicts without "
                     "checking their type, so a list or mapping where a name or reference is expected crashes "
                     "with TypeError 'unhashable type' instead of raising InstanceError")


@pytest.mark.parametrize("dotted, value", [
    ("sites.0.name", ["Old", "Older"]),
    ("deposits.0.name", {"a": 1}),
    ("links.0.site", ["Old"]),
    ("power_connections.1.source", {"P": 1}),
    ("rd_programmes.0.name", ["R1"]),
    ("rd_programmes.0.prerequisites", [["R0"]]),
])
def test_unhashable_name_or_reference_is_an_instance_error(tmp_path, dotted, value):
    path = write_data(tmp_path, _set(two_sites_raw(), dotted, value))
    with pytest.raises(InstanceError) as excinfo:
        load_instance(path)
    assert dotted.split(".")[-1] in str(excinfo.value)


def _programmes(data: dict, programmes: list[dict]) -> dict:
    data["rd_programmes"] = [dict(cost_bn_rub=0.1, duration_yr=1, **p) for p in programmes]
    return data


def test_non_list_prerequisites_of_a_prerequisite(tmp_path):
    data = _programmes(two_sites_raw(), [dict(name="A", prerequisites=["B"]), dict(name="B", prerequisites=5)])
    with pytest.raises(InstanceError) as excinfo:
        load_instance(write_data(tmp_path, data))
    assert find(excinfo.value.problems, "rd_programmes", "prerequisites")


def test_cycle_reported_only_on_its_members(tmp_path):
    data = _programmes(two_sites_raw(), [dict(name="A", prerequisites=["B"]), dict(name="B", prerequisites=["C"]),
                                         dict(name="C", prerequisites=["B"])])
    with pytest.raises(InstanceError) as excinfo:
        load_instance(write_data(tmp_path, data))
    rows = {p.row for p in find(excinfo.value.problems, "rd_programmes", "prerequisites", "cycle")}
    assert any("'B'" in r for r in rows) and any("'C'" in r for r in rows)
    assert not any("'A'" in r for r in rows)


class _Timeout(Exception):
    pass


def _alarm(seconds: float):
    def handler(signum, frame):
        raise _Timeout(f"validation took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    return old


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")
def test_many_programmes_validate_quickly(tmp_path):
    data = _programmes(two_sites_raw(), [dict(name=f"R{i}", prerequisites=[f"R{j}" for j in range(i)])
                                         for i in range(22)])
    path = write_data(tmp_path, data)
    old = _alarm(1.5)
    try:
        with pytest.raises(InstanceError) as excinfo:
            load_instance(path)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert "more than 12" in str(excinfo.value)
