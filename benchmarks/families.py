"""The named benchmark families (defined once, in ``reeplan.generate.FAMILIES``): list or write them.

    .venv/bin/python benchmarks/families.py                 # table of sizes (model built: a few seconds)
    .venv/bin/python benchmarks/families.py --out DIR       # also write DIR/<family>-seed<S>/ (CSV folders)
    reeplan generate --family xl --seed 0 --out DIR/xl      # one family from the command line
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from reeplan.generate import FAMILIES, generate_family, write_generated

BASE_CASE_VARIABLES = 613  # instances/siberia-2030.yaml


def family_table(seed: int = 0, build: bool = True) -> list[dict]:
    """One row per family: entity counts and, with ``build``, the model's variables / constraints / integers."""
    rows = []
    for name in FAMILIES:
        inst = generate_family(name, seed)
        row = {"family": name, **asdict(FAMILIES[name]), "links": len(inst.links),
               "connections": len(inst.power_connections), "projects": len(inst.power_expansions)
               + len(inst.link_upgrades) + len(inst.deposit_expansions) + len(inst.rd_programmes)
               + sum(1 for c in inst.power_connections if not c.exists)}
        if build:
            import pyomo.environ as pyo
            from reeplan.models.investment import build_model

            m = build_model(inst)
            row.update(variables=m.nvariables(), constraints=sum(1 for _ in m.component_data_objects(
                pyo.Constraint, active=True)), integers=sum(1 for v in m.component_data_objects(pyo.Var)
                                                            if v.is_integer()))
            row["x_base_case"] = round(row["variables"] / BASE_CASE_VARIABLES, 1)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write each family as a CSV folder here")
    args = parser.parse_args()
    rows = family_table(args.seed)
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in cols) + " |")
    if args.out:
        for name in FAMILIES:
            path = write_generated(generate_family(name, args.seed), args.out / f"{name}-seed{args.seed}")
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
