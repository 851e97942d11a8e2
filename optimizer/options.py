"""What the user chooses before a solve: THE list of objectives and the solver options."""

from __future__ import annotations

from dataclasses import dataclass, field

from reeplan.errors import UsageError

# objective name -> unit of its value. The one list of objectives: the CLI choices, the model,
# the checker and bench all read it.
OBJECTIVE_UNITS = {"max-hpo": "t HPO", "max-cumulative-hpo": "t HPO (horizon)", "min-cost": "bn RUB"}
OBJECTIVES = tuple(OBJECTIVE_UNITS)
OUTPUT_OBJECTIVES = ("max-hpo", "max-cumulative-hpo")  # the ones that maximise oxide (alternatives, robust)


MAX_TIME_LIMIT_S = 1e7  # about 116 days: beyond it a limit is a typo, and HiGHS's own limit is infinite
MAX_THREADS = 1024  # far above any machine reeplan runs on; HiGHS fails on absurd thread counts


def check_objective(objective: str) -> str:
    """``objective`` if it is one of OBJECTIVES, else a UsageError that lists them."""
    if objective not in OBJECTIVES:
        raise UsageError(f"unknown objective {objective!r}; choose one of: {', '.join(OBJECTIVES)}")
    return objective


@dataclass(frozen=True)
class SolveOptions:
    """Solver and model options; the defaults are what ``reeplan solve`` uses."""

    objective: str = "max-hpo"
    time_limit: float | None = None  # seconds, whole solve
    mip_gap: float = 1e-4  # relative
    threads: int | None = None  # None: HiGHS decides
    seed: int = 0
    lex_tolerance: float = 1e-9  # each stage of the chain keeps the earlier ones within this relative tolerance
    stage_time_limit: float | None = None  # seconds per stage of the chain after the first (None: gaps decide)
    tie_break: bool = True  # run the objective chain after stage 1 (False: stage 1 only)
    marginals: bool = True  # LP duals of the rules (integers fixed)
    why: bool = True  # integer marginals and "why not more?" (re-solves; FORMULATION.md, section 10)
    diagnose: bool = True
    check: bool = True  # pass the plan through the independent checker before it is reported
    solver_options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_objective(self.objective)
        # "not x > 0" also refuses NaN, which every comparison calls false
        if self.time_limit is not None and not (0 < self.time_limit < MAX_TIME_LIMIT_S):
            raise UsageError(f"time limit must be a number of seconds in (0, {MAX_TIME_LIMIT_S:.0f}), got {self.time_limit}")
        if self.stage_time_limit is not None and not (0 < self.stage_time_limit < MAX_TIME_LIMIT_S):
            raise UsageError(f"stage time limit must be a number of seconds in (0, {MAX_TIME_LIMIT_S:.0f}), "
                             f"got {self.stage_time_limit}")
        if not 0 <= self.mip_gap < 1:
            raise UsageError(f"relative gap must be in [0, 1), got {self.mip_gap}")
        if self.threads is not None and not 1 <= self.threads <= MAX_THREADS:
            raise UsageError(f"threads must be between 1 and {MAX_THREADS}, got {self.threads}")
        if not 0 <= self.seed < 2**31:
            raise UsageError(f"the solver seed must be in [0, 2**31), got {self.seed}")

    def highs_options(self) -> dict:
        """Options passed to HiGHS besides time limit, gap and threads."""
        return {"random_seed": self.seed, **self.solver_options}


