"""models/FORMULATION.md names the model as the code builds it, and every component keeps the contract.

- Every backticked name in FORMULATION.md that looks like a model component (a variable or named
  expression ``Capitalised_With_Underscores``, a set ``UPPER_CASE``, a ``*_constraint`` or
  ``*_objective``) exists on one of the models built below (or on a block of it), and every variable,
  named expression, constraint, objective, parameter and set of those models is named in it.
- Every file in models/components/ has ``declare(m, data) -> None`` with the same signature, sits in
  the registry ``investment.COMPONENTS``, imports no other component, has a section of its own in
  FORMULATION.md, and its docstring lists what it declares and reads: what it declares in fact,
  and, among the components its rows and expressions use, those of the components before it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import keyword
import re
from dataclasses import replace
from functools import cache

import pyomo.environ as pyo
import pytest
from pyomo.core.expr.numvalue import native_types
from reeplan.generate import generate_instance
from reeplan.instance.io import load_instance
from reeplan.models import investment
from reeplan.models.data import model_data
from reeplan.models.investment import COMPONENTS, build_model
from reeplan.models.stochastic import BudgetRule, Risk, build_extensive_form, build_stress_model
from reeplan.uncertainty.futures import apply_future, sample_futures

from tests.conftest import ROOT

FORMULATION = ROOT / "models" / "FORMULATION.md"
COMPONENT_DIR = ROOT / "models" / "components"
SIBERIA = ROOT / "instances" / "siberia-2030.yaml"
ALL_TARGETS = ROOT / "instances" / "variants" / "all-targets-hard.yaml"
TINY = ROOT / "instances" / "tiny.yaml"

SPAN = re.compile(r"`([^`\n]+)`")
# An identifier that is not part of a dotted or path name, a call, or a <template>.
TOKEN = re.compile(r"(?<![\w.:/<>-])[A-Za-z_][A-Za-z0-9_]*(?![\w(<>.:/-])")
# A Var or named Expression (not a one-letter symbol such as L_k); a set.
VARIABLE_LIKE = re.compile(r"^[A-Z][A-Za-z0-9]+(_[A-Za-z0-9]+)+$|^[A-Z][a-z]+$")
SET_LIKE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
KINDS = (pyo.Var, pyo.Expression, pyo.Constraint, pyo.Objective, pyo.Param, pyo.Set)


def backticked_tokens(text: str) -> set[str]:
    return {tok for span in SPAN.findall(text) for tok in TOKEN.findall(span)}


def looks_like_component(name: str) -> bool:
    if keyword.iskeyword(name):  # True, False, None in a call's arguments
        return False
    if VARIABLE_LIKE.match(name) and any(ch.islower() for ch in name):
        return True
    if SET_LIKE.match(name) and len(name) > 1:
        return True
    return name.endswith(("_constraint", "_objective"))


def component_names(m: pyo.Block, kinds=KINDS) -> set[str]:
    """Local names of the components of ``kinds`` on ``m`` and on every block under it."""
    return {c.local_name for blk in m.block_data_objects(active=None) for kind in kinds
            for c in blk.component_objects(kind, descend_into=False)}


VARIANTS = ["siberia max-hpo", "siberia max-cumulative-hpo", "siberia min-cost", "siberia elastic", "every rule",
            "every rule elastic", "generated", "tiny scenario copy", "tiny stress", "tiny extensive cvar",
            "tiny extensive expected", "tiny extensive chance", "tiny extensive cvar budget"]


@cache
def built_models() -> dict[str, pyo.Block]:
    """The model variants between them build every component the formulation names."""
    siberia = load_instance(SIBERIA)
    every_rule = load_instance(ALL_TARGETS, ["policy.hpo_output.enabled=true", "policy.hpo_output.min_t_per_yr=1000"])
    tiny = load_instance(TINY)
    futures = [apply_future(tiny, row) for row in sample_futures(tiny, 2, seed=3).to_dict("records")]
    plan = {("Project_Begun", idx): 1.0 for idx in build_model(tiny).Project_Begun}
    return {
        "siberia max-hpo": build_model(siberia),
        "siberia max-cumulative-hpo": build_model(siberia, "max-cumulative-hpo"),
        "siberia min-cost": build_model(siberia, "min-cost"),
        "siberia elastic": build_model(siberia, elastic=True),
        "every rule": build_model(every_rule),
        "every rule elastic": build_model(every_rule, elastic=True),
        "generated": build_model(generate_instance(3, 3, 2, 2, 5, seed=1)),
        "tiny scenario copy": build_model(tiny, objective=None, rules=False),
        "tiny stress": build_stress_model(tiny, futures, plan)[0],
        "tiny extensive cvar": build_extensive_form(tiny, futures, Risk(0.9, 0.5)),
        "tiny extensive expected": build_extensive_form(tiny, futures, budget=BudgetRule("expected", limit_bn_rub=1)),
        "tiny extensive chance": build_extensive_form(tiny, futures, budget=BudgetRule("chance", alpha=0.5)),
        "tiny extensive cvar budget": build_extensive_form(tiny, futures, budget=BudgetRule("cvar", 0.5, 1.0)),
    }


def test_every_name_in_formulation_exists_on_a_built_model():
    names = set().union(*(component_names(m) for m in built_models().values()))
    cited = {tok for tok in backticked_tokens(FORMULATION.read_text(encoding="utf-8")) if looks_like_component(tok)}
    assert sorted(cited - names) == []


def test_variants_are_the_built_ones():
    assert list(built_models()) == VARIANTS


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_component_of_the_model_is_in_formulation(variant):
    tokens = backticked_tokens(FORMULATION.read_text(encoding="utf-8"))
    assert sorted(component_names(built_models()[variant]) - tokens) == []


def test_siberia_names_its_derived_quantities_as_expressions():
    """What one component reads of another is a named Pyomo expression, not a Python helper."""
    m = built_models()["siberia max-hpo"]
    for name in ("Project_Ready", "Project_Started", "New_Modules_Online", "Modules_Online", "Jobs", "Feed",
                 "REO_Output", "HPO_Output", "Capex", "Opex", "Spend", "Total_Cost"):
        assert isinstance(m.component(name), pyo.Expression), name


def test_model_holds_only_pyomo_components():
    """No Python state on the model: every attribute a component set is a Pyomo component."""
    plain = set(vars(pyo.ConcreteModel()))
    for variant, m in built_models().items():
        for blk in m.block_data_objects(active=None):
            extra = sorted(set(vars(blk)) - plain - set(blk.component_map()))
            assert extra == [], (variant, blk.name, extra)


# --- the component contract ------------------------------------------------------------------

def component_files() -> list[str]:
    return sorted(p.stem for p in COMPONENT_DIR.glob("*.py") if p.stem != "__init__")


def test_every_component_file_declares_with_one_signature_and_is_registered():
    modules = {name: importlib.import_module(f"reeplan.models.components.{name}") for name in component_files()}
    signatures = {name: str(inspect.signature(mod.declare)) for name, mod in modules.items()}
    assert set(signatures.values()) == {"(m: 'pyo.ConcreteModel', data: 'ModelData') -> 'None'"}, signatures
    assert sorted(c.__name__.rsplit(".", 1)[-1] for c in COMPONENTS) == sorted(modules)
    assert len(COMPONENTS) == len(set(COMPONENTS))
    assert inspect.getsource(investment.build_model).count(".declare(") + inspect.getsource(
        investment.declare_components).count(".declare(") == 1  # the one loop over the registry


def test_components_import_no_other_component():
    for name in component_files():
        tree = ast.parse((COMPONENT_DIR / f"{name}.py").read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert not [mod for mod in imported if mod and mod.startswith("reeplan.models.components")], name


def test_every_component_has_its_formulation_section():
    headings = [line for line in FORMULATION.read_text(encoding="utf-8").splitlines() if line.startswith("## ")]
    for name in component_files():
        pattern = re.compile(rf"^## (\d+[a-z]?\. )?{name} \(`models/components/{name}.py`\)")
        assert any(pattern.match(h) for h in headings), name


def _docstring_lists(module) -> tuple[list[str], list[str]]:
    """(declared, read) names of a component's module docstring: the backticked names after
    'Declares' up to 'Reads', and after 'Reads' up to the end of that paragraph."""
    doc = re.sub(r"``[^`]*``", "", inspect.getdoc(module))  # rST literals are not names
    declares = doc[doc.index("Declares"):doc.index("Reads:")]
    reads = doc[doc.index("Reads:"):].split("\n\n")[0]
    return SPAN.findall(declares), SPAN.findall(reads)


def _matches(name: str, listed: list[str]) -> bool:
    return any(re.fullmatch(re.sub(r"<[^>]+>", r"\\w+", item), name) for item in listed)


def _referenced(expr, out: set) -> None:
    """Components whose variables, named expressions or parameters ``expr`` uses directly."""
    stack = [expr]
    while stack:
        e = stack.pop()
        if e is None or type(e) in native_types:
            continue
        if e.is_variable_type() or e.is_named_expression_type() or e.is_parameter_type():
            out.add(e.parent_component().local_name)
        elif e.is_expression_type():
            stack.extend(e.args)


@cache
def declared_by_component() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """({component: names it declared}, {component: names its rows and expressions use}) over
    the build variants, declaring the registry one component at a time."""
    instances = [load_instance(SIBERIA),
                 load_instance(ALL_TARGETS, ["policy.hpo_output.enabled=true", "policy.hpo_output.min_t_per_yr=1000"])]
    declared: dict[str, set[str]] = {}
    used: dict[str, set[str]] = {}
    for inst in instances:
        for choice in (dict(objective="max-hpo"), dict(objective="min-cost"), dict(elastic=True),
                       dict(objective=None, rules=False)):
            data = replace(model_data(inst), **choice)
            m = pyo.ConcreteModel()
            for component in COMPONENTS:
                name = component.__name__.rsplit(".", 1)[-1]
                before = set(m.component_map())
                component.declare(m, data)
                new = [m.component(n) for n in m.component_map() if n not in before]
                declared.setdefault(name, set()).update(c.local_name for c in new)
                refs = used.setdefault(name, set())
                for c in new:
                    if isinstance(c, (pyo.Constraint, pyo.Expression, pyo.Objective)):
                        for item in c.values():
                            _referenced(item.expr, refs)
    return declared, used


@pytest.mark.parametrize("name", component_files())
def test_component_docstring_says_what_it_declares_and_reads(name):
    module = importlib.import_module(f"reeplan.models.components.{name}")
    listed_declared, listed_read = _docstring_lists(module)
    declared, used = declared_by_component()
    order = [c.__name__.rsplit(".", 1)[-1] for c in COMPONENTS]
    lower = set().union(*(declared[c] for c in order[:order.index(name)]))
    assert sorted(n for n in declared[name] if not _matches(n, listed_declared)) == []
    assert [item for item in listed_declared if "<" not in item and item not in declared[name]] == []
    assert sorted(set(listed_read) - lower) == [], "reads a name no lower component declares"
    assert sorted(used[name] - declared[name] - set(listed_read)) == [], "uses a lower name it does not list"
