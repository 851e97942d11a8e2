"""One error hierarchy; the CLI maps each class to a documented exit code."""

from __future__ import annotations

from dataclasses import dataclass, field


class ReeplanError(Exception):
    """Base of every error reeplan raises on purpose (bad input, no plan, ...)."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an instance: where it is, what it is, how to fix it."""

    file: str
    entity: str
    row: str
    field: str
    value: object
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = ":".join(p for p in (self.file, self.entity, self.row, self.field) if p)
        text = f"{where}: {self.message} (value: {self.value!r})"
        return f"{text}; hint: {self.hint}" if self.hint else text


@dataclass
class InstanceError(ReeplanError):
    """The instance (file, folder or override) is invalid; carries every problem found."""

    problems: list[Problem] = field(default_factory=list)
    exit_code = 3

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the instance"
        return head + ":\n" + "\n".join(f"  - {p}" for p in self.problems)


class UsageError(ReeplanError):
    """A bad option value (unknown objective, negative time limit, ...)."""

    exit_code = 2


class SolverUnavailableError(ReeplanError):
    """The requested solver is not installed."""

    exit_code = 1


class InfeasibleError(ReeplanError):
    """No plan satisfies the rules; ``diagnosis`` names the rules that must give."""

    exit_code = 4

    def __init__(self, message: str, diagnosis=None):
        super().__init__(message)
        self.diagnosis = diagnosis


class PlanCheckError(ReeplanError):
    """The solver's plan failed the independent checker: it is written, but never reported as a valid plan."""

    exit_code = 6


class NoSolutionError(ReeplanError):
    """The solver stopped (time limit, error) before finding any plan."""

    exit_code = 5
