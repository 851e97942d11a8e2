"""The synthetic instance generator: valid instances (CSV and YAML round trips through the loader),
optimal solves that the independent checker accepts, determinism by seed, family sizes, and that
the generated instances carry every structure the schema allows (mixed transit times in every
instance; existing assets, late mines, each expansion and upgrade kind, prerequisites, yearly caps
and ``opex_counts`` across seeds), so that tests on generated instances can see bugs in them."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pyomo.environ as pyo
import pytest
from reeplan import solve
from reeplan.check import check_plan
from reeplan.cli.app import main
from reeplan.errors import UsageError
from reeplan.generate import FAMILIES, generate_family, generate_instance, write_generated
from reeplan.instance.io import instance_sha256, load_instance
from reeplan.instance.source import Source
from reeplan.instance.validate import validate_raw
from reeplan.models.data import model_data
from reeplan.models.investment import build_model

BASE_CASE_VARIABLES = 613  # instances/siberia-2030.yaml (tests/regression.csv)


def variables_of(data) -> int:
    """Variables of the model, counted from its index sets without building it (see FORMULATION.md)."""
    inst = data.instance
    years = len(data.years)
    new_site_starts = sum(1 for s, _ in data.module_start if s in data.sites_to_open)
    policy = data.instance.policy
    rules = [r for r in (policy.plants_online, policy.jobs, policy.reo_output, policy.hpo_output, policy.hp_share)
             if r is not None and r.enabled]
    assert policy.plants_online is None or not policy.plants_online.enabled  # Plant_Online not counted here
    return (len(data.project_start) + len(data.module_start) + new_site_starts + len(data.ship_years)
            + len(inst.power_connections) * years + 2 * len(data.levels) * years + len(rules))


@pytest.mark.parametrize("size,seed", [
    ((9, 10, 9, 5, 6), 0),   # the base case's size
    ((3, 2, 2, 2, 4), 1),
    ((1, 1, 1, 0, 2), 2),    # the smallest instance the generator makes
    ((6, 4, 3, 3, 3), 3),
])
def test_generated_instance_validates_and_solves(tmp_path, size, seed):
    inst = generate_instance(*size, seed=seed)
    folder = write_generated(inst, tmp_path / "csv")
    loaded = load_instance(folder)  # full validation of the CSV folder
    assert instance_sha256(loaded) == instance_sha256(inst)
    yaml_path = write_generated(inst, tmp_path / "inst.yaml")
    assert instance_sha256(load_instance(yaml_path)) == instance_sha256(inst)
    res = solve(loaded, threads=1, time_limit=60)
    assert res.status.value == "optimal"
    assert check_plan(loaded, res.tables, res.objective_name, res.objective) == []


def test_counted_variables_match_the_built_model():
    inst = generate_instance(9, 10, 9, 5, 6, seed=0)
    m = build_model(inst)
    assert variables_of(model_data(inst)) == m.nvariables()
    assert sum(1 for _ in m.component_data_objects(pyo.Var)) == m.nvariables()


def test_families_span_base_case_to_100x():
    counts = {name: variables_of(model_data(generate_family(name))) for name in FAMILIES}
    assert 0.5 * BASE_CASE_VARIABLES <= counts["small"] <= 2 * BASE_CASE_VARIABLES
    assert counts["small"] < counts["medium"] < counts["large"] < counts["xl"]
    assert counts["xl"] >= 100 * BASE_CASE_VARIABLES


def test_deterministic_by_seed():
    a = generate_instance(20, 15, 8, 6, 7, seed=42)
    b = generate_instance(20, 15, 8, 6, 7, seed=42)
    c = generate_instance(20, 15, 8, 6, 7, seed=43)
    assert a.model_dump() == b.model_dump()
    assert instance_sha256(a) == instance_sha256(b) != instance_sha256(c)


def test_structure_like_the_base_case():
    inst = generate_instance(40, 30, 12, 8, 8, seed=7)
    span = inst.horizon.end_year - inst.horizon.start_year
    sites = {s.name for s in inst.sites}
    assert {c.site for c in inst.power_connections if c.exists} == sites  # every site has power
    assert {ln.site for ln in inst.links} == sites  # every site has a link
    assert {ln.deposit for ln in inst.links} == {d.name for d in inst.deposits}  # every deposit is reachable
    assert all(d.supply_t_per_yr > 0 or any(e.deposit == d.name for e in inst.deposit_expansions)
               for d in inst.deposits)
    leads = ([s.lead_time_yr for s in inst.sites] + [e.lead_time_yr for e in inst.deposit_expansions]
             + [u.lead_time_yr for u in inst.link_upgrades] + [r.duration_yr for r in inst.rd_programmes]
             + [c.lead_time_yr for c in inst.power_connections])
    assert max(leads) < span
    assert len(inst.rd_programmes) == 8
    for s in inst.sites:  # base case ranges: 1,300-2,500 t modules at 2.4-8 m RUB per t/yr
        assert 1300 <= s.module_capacity_t_per_yr <= 2500
        assert 2.4 <= s.capex_bn_rub_per_module * 1000 / s.module_capacity_t_per_yr <= 8.0 + 1e-6
    assert inst.policy.jobs.enabled and inst.policy.jobs.min_jobs > 0


@pytest.mark.parametrize("kwargs", [
    dict(sites=0, deposits=1, power_sources=1, programmes=0, years=3),
    dict(sites=1, deposits=1, power_sources=1, programmes=9, years=3),
    dict(sites=1, deposits=1, power_sources=1, programmes=1, years=1),
])
def test_bad_sizes_are_usage_errors(kwargs):
    with pytest.raises(UsageError):
        generate_instance(**kwargs, seed=0)


def test_generate_cli_writes_a_valid_folder(tmp_path, capsys):
    out = tmp_path / "gen"
    main(["generate", "--sites", "4", "--deposits", "3", "--power-sources", "2", "--programmes", "2",
          "--years", "4", "--seed", "9", "--out", str(out)])
    assert "wrote" in capsys.readouterr().out
    assert (out / "scalars.yaml").exists() and (out / "links.csv").exists()
    assert load_instance(out).model_dump() == generate_instance(4, 3, 2, 2, 4, seed=9).model_dump()


def test_generate_cli_family_and_errors(tmp_path, capsys):
    main(["generate", "--family", "small", "--seed", "1", "--out", str(tmp_path / "s.yaml")])
    inst = load_instance(tmp_path / "s.yaml")
    assert inst.name == "small-seed1"
    assert len(inst.sites) == asdict(FAMILIES["small"])["sites"]
    for args in (["--family", "nope"], ["--programmes", "20"]):
        with pytest.raises(SystemExit) as exc:
            main(["generate", *args, "--out", str(tmp_path / "x")])
        assert exc.value.code == 2
        assert "Traceback" not in capsys.readouterr().err


# ---- structure coverage: generate and inspect only (no solves)
SMALL = dict(sites=4, deposits=5, power_sources=3, programmes=4, years=7)
SEEDS = range(20)
YEAR_ROUND_MODES = {"road", "rail", "multimodal"}
SEASONAL_MODES = {"winter_road", "river", "sea"}


@pytest.fixture(scope="module")
def small_seeds():
    return [generate_instance(**SMALL, seed=seed) for seed in SEEDS]


def _transits(inst, usable_today: bool = False) -> dict[str, set[int]]:
    """Distinct transit times of each deposit's links (only links with capacity today if asked)."""
    out: dict[str, set[int]] = {}
    for ln in inst.links:
        if not usable_today or ln.capacity_t_per_yr > 0:
            out.setdefault(ln.deposit, set()).add(ln.transit_yr)
    return out


def _leads(inst) -> list[int]:
    return ([s.lead_time_yr for s in inst.sites] + [e.lead_time_yr for e in inst.deposit_expansions]
            + [x.lead_time_yr for x in inst.power_expansions] + [u.lead_time_yr for u in inst.link_upgrades]
            + [c.lead_time_yr for c in inst.power_connections if not c.exists]
            + [r.duration_yr for r in inst.rd_programmes])


def test_every_seed_validates_and_mixes_transit_times(small_seeds):
    for inst in small_seeds:
        full = validate_raw(inst.model_dump(mode="json"), Source(Path(f"{inst.name}.yaml"), "yaml"))
        assert instance_sha256(full) == instance_sha256(inst)
        span = inst.horizon.end_year - inst.horizon.start_year
        assert any(len(taus) > 1 for taus in _transits(inst).values()), inst.name
        # the mixed deposit can ship from the start: supply today, and its slow chain has capacity today
        producing = {d.name for d in inst.deposits if d.supply_t_per_yr > 0 and d.available_from_year is None}
        slow_today = {d for d, taus in _transits(inst, usable_today=True).items() if max(taus) > 0}
        assert producing & slow_today, inst.name
        for ln in inst.links:  # transit by mode and distance (module docstring)
            short_winter_road = ln.mode == "winter_road" and ln.distance_km < 300
            assert ln.transit_yr == 0 if ln.mode in YEAR_ROUND_MODES or short_winter_road else ln.transit_yr >= 1, ln
            assert ln.transit_yr < 2 or (ln.distance_km > 4000 and span >= 4), ln
        assert 0 < min(_leads(inst)) and max(_leads(inst)) < span
        # feasible by construction: only the reachable jobs rule is ever enabled (never the HP share)
        enabled = {k for k, rule in inst.policy.model_dump().items() if rule and rule["enabled"]}
        assert enabled <= {"jobs"} and inst.policy.hp_share is not None


@pytest.mark.parametrize("size", [(1, 1, 1, 0, 2), (1, 2, 1, 1, 3), (2, 1, 1, 2, 5), (3, 3, 2, 3, 4)])
def test_tiny_sizes_mix_transit_times_too(size):
    for seed in range(10):
        inst = generate_instance(*size, seed=seed)
        validate_raw(inst.model_dump(mode="json"), Source(Path("tiny.yaml"), "yaml"))
        assert any(len(taus) > 1 for taus in _transits(inst).values()), (size, seed)


def test_union_over_seeds_has_every_structure(small_seeds):
    seen: set[str] = set()
    for inst in small_seeds:
        start = inst.horizon.start_year
        upgraded = {u.link for u in inst.link_upgrades}
        cap_years = len(inst.budget.yearly_cap_bn_rub)
        checks = {
            "existing modules with room": any(0 < s.existing_modules < s.max_modules for s in inst.sites),
            "greenfield site": any(s.existing_modules == 0 for s in inst.sites),
            "existing connection": any(c.exists for c in inst.power_connections),
            "connection build": any(not c.exists and c.capex_bn_rub > 0 for c in inst.power_connections),
            "late mine": any(d.available_from_year is not None and d.available_from_year > start
                             and d.supply_t_per_yr > 0 for d in inst.deposits),
            "deposit expansion": bool(inst.deposit_expansions),
            "power expansion": bool(inst.power_expansions),
            "upgrade of a usable link": any(ln.capacity_t_per_yr > 0 and ln.name in upgraded for ln in inst.links),
            "link opened only by an upgrade": any(ln.capacity_t_per_yr == 0 and ln.name in upgraded
                                                  for ln in inst.links),
            "prerequisite": any(r.prerequisites for r in inst.rd_programmes),
            "two prerequisites": any(len(r.prerequisites) > 1 for r in inst.rd_programmes),
            "caps every year": cap_years == len(inst.years),
            "caps some years": 0 < cap_years < len(inst.years),
            "no caps": cap_years == 0,
            "opex counts": inst.budget.opex_counts,
            "opex does not count": not inst.budget.opex_counts,
            **{f"transit {tau}": any(ln.transit_yr == tau for ln in inst.links) for tau in (0, 1, 2)},
            **{f"{mode} link": any(ln.mode == mode for ln in inst.links) for mode in YEAR_ROUND_MODES | SEASONAL_MODES},
            **{f"lead {n}": n in _leads(inst) for n in range(1, 6)},
        }
        seen |= {name for name, present in checks.items() if present}
    assert seen == set(checks), f"never generated: {sorted(set(checks) - seen)}"
    # no upgrade points at a link that does not exist, and a zero-capacity link always has one
    for inst in small_seeds:
        assert all(ln.name in {u.link for u in inst.link_upgrades} for ln in inst.links if ln.capacity_t_per_yr == 0)


def _code(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_generate_out_never_destroys_what_the_user_has(tmp_path, capsys):
    """An existing .yaml file, or a folder of the user's, is refused before anything is written (exit 2);
    --force replaces reeplan's files and keeps the user's own; a folder generate wrote is replaced whole."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    (mine / "sites.csv").write_text("my own table")
    assert _code(["generate", "--out", str(mine)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (mine / "sites.csv").read_text() == "my own table"  # nothing touched
    assert _code(["generate", "--out", str(mine), "--force"]) == 0
    assert (mine / "notes.txt").read_text() == "keep me"
    assert load_instance(mine).name.endswith("seed0")

    again = tmp_path / "gen"
    assert _code(["generate", "--out", str(again)]) == 0
    assert _code(["generate", "--out", str(again), "--seed", "3"]) == 0  # generate's own folder: replaced whole
    assert load_instance(again).name.endswith("seed3")

    yaml_file = tmp_path / "inst.yaml"
    yaml_file.write_text("not an instance")
    assert _code(["generate", "--out", str(yaml_file)]) == 2
    assert yaml_file.read_text() == "not an instance"
    assert _code(["generate", "--out", str(yaml_file), "--force"]) == 0
    assert load_instance(yaml_file).name.endswith("seed0")
