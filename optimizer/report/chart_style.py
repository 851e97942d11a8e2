"""The look of every chart (matplotlib, Agg backend): size, colours, style, and rendering to PNG bytes.

Sizes are fixed (``WIDTH_IN`` x height at ``DPI``) so that a chart's pixel size is known in advance.
Text is data: a ``$`` in a name is a dollar sign, never the start of mathtext (``TEXT_IS_DATA``).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display, no GUI toolkit: safe in CI and worker processes

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.layout_engine import ConstrainedLayoutEngine  # noqa: E402

DPI = 144
WIDTH_IN = 10.0
AREA_COLORS = {"plants": "#2b6cb0", "power": "#dd6b20", "logistics": "#2f855a", "mining": "#b7791f", "rd": "#805ad5",
               "opex": "#a0aec0"}
AREA_LABELS = {"plants": "Plants", "power": "Power", "logistics": "Logistics", "mining": "Mining (deposit expansions)",
               "rd": "R&D", "opex": "Opex (counted)"}
TARGET_COLOR = "#c53030"
INK = "#1a202c"
GRID = "#e2e8f0"
TEXT_IS_DATA = {"text.parse_math": False}  # names, labels and titles are drawn as written (no $...$ math)


@dataclass
class Chart:
    """One rendered chart: file stem, title, alt text, PNG bytes and pixel size."""

    name: str
    title: str
    alt: str
    png: bytes
    width: int
    height: int


@dataclass
class PlanInputs:
    """What the charts need besides the result tables (from the instance when known, else from the tables)."""

    years: list[int]
    target_year: int
    lead_times: dict[str, int]  # site -> module lead time (years)
    existing_modules: dict[str, int]
    yearly_caps: dict[int, float]
    total_budget: float | None
    rd_envelope: float | None
    max_recovery: float | None = None
    max_hp_share: float | None = None


def chart_style() -> dict:
    """The matplotlib rcParams of every report chart."""
    return {
        "font.size": 10, "axes.titlesize": 12, "axes.titleweight": "bold", "axes.labelsize": 10,
        "axes.edgecolor": "#718096", "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
        "axes.spines.top": False, "axes.spines.right": False, "legend.fontsize": 9, "legend.frameon": False,
        "figure.facecolor": "white", "axes.facecolor": "white", "font.family": "DejaVu Sans", **TEXT_IS_DATA,
    }


def styled(fn):
    """Run a chart function with the report style (rcParams apply when artists are created and drawn)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with plt.rc_context(chart_style()):
            return fn(*args, **kwargs)

    return wrapper


def literal_text(fn):
    """Run a chart function (not in the report style) with its text drawn as written: ``$`` is never math."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with plt.rc_context(TEXT_IS_DATA):
            return fn(*args, **kwargs)

    return wrapper


def render(fig, name: str, title: str, alt: str) -> Chart:
    """The figure as a ``Chart`` (PNG at DPI, the declared size); the figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")  # no bbox "tight": the size stays as declared
    plt.close(fig)
    width, height = png_size(buf.getvalue())
    return Chart(name, title, alt, buf.getvalue(), width, height)


def figure(height_in: float, ncols: int = 1, width_ratios=None, sharey: bool = False):
    """A report-width figure of ``height_in`` inches with constrained layout, and its axes."""
    fig, axes = plt.subplots(1, ncols, figsize=(WIDTH_IN, height_in), layout="constrained",
                             width_ratios=width_ratios, sharey=sharey)
    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine), "the figure was made with layout='constrained'"
    engine.set(w_pad=0.08, h_pad=0.08)
    return fig, axes



def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")

