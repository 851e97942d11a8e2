"""How numbers are shown: the one set of formatters of the CLI, the report, bench tables and messages."""

from __future__ import annotations

import math
import numbers

MISSING = "-"  # what a missing, NaN or infinite value shows as in the terminal
DASH = "–"  # ... and on the HTML page


def finite_or_none(x: object) -> float | None:
    """``x`` as a float, or None when it is missing, not a number, infinite or NaN."""
    try:
        value = float(x)  # type: ignore[arg-type]  # anything float() takes; the rest is None
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def is_number(x: object) -> bool:
    """A finite real number (not a bool, not None, not NaN or infinite)."""
    # numbers.Real: numpy's scalars (a DataFrame's int64 or float64 cells) are registered there too
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(float(x))


def fixed(x: object, digits: int = 1, unit: str = "", missing: str = MISSING) -> str:
    """``1,234.5`` (thousands separated, ``digits`` decimals), with ``unit`` after a space; ``missing`` if not a number."""
    if not is_number(x):
        return missing
    return f"{float(x):,.{digits}f} {unit}".rstrip()  # type: ignore[arg-type]  # is_number checked it


def significant(x: object, digits: int = 3) -> str:
    """``x`` to ``digits`` significant figures (large values in full); text as it is; MISSING if NaN/None."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return MISSING
    if isinstance(x, float):  # numpy float64 is a float
        return f"{x:.{digits}g}" if abs(x) < 1e6 else f"{x:.10g}"
    return str(x)


def adaptive(x: float | None, unit: str = "") -> str:
    """Whole numbers from 100 up, three significant figures below: a figure that changes while it is read."""
    if x is None:
        return MISSING
    text = f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"
    return f"{text} {unit}".rstrip()


def gap(x: object) -> str:
    """A relative MIP gap, ``1.00e-04``; MISSING if unknown."""
    return f"{float(x):.2e}" if is_number(x) else MISSING  # type: ignore[arg-type]  # is_number checked it


def percent(x: object, digits: int = 0, missing: str = MISSING) -> str:
    """A fraction as a percentage, ``60%``; ``missing`` if not a number."""
    return f"{float(x):.{digits}%}" if is_number(x) else missing  # type: ignore[arg-type]  # is_number checked it


def gap_percent(x: object, missing: str = MISSING) -> str:
    """A relative MIP gap as a percentage: ``0 %``, ``0.25%``, or ``< 0.01 %`` when tiny."""
    if not is_number(x):
        return missing
    g = float(x)  # type: ignore[arg-type]  # is_number checked it
    return "0 %" if g == 0 else f"{g:.2%}" if g >= 1e-4 else "< 0.01 %"


def precise(x: float) -> str:
    """Ten significant figures: enough to show the small difference a check reports."""
    return f"{x:.10g}"
