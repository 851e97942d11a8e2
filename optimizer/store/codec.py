"""JSON for the run store: result tables exactly (floats through repr, dtypes kept) and cleaned plain values."""

from __future__ import annotations

import json
import math

import pandas as pd


def plain(value):
    """A cell or value as plain Python for JSON: numpy scalars unwrapped, NA / NaT / NaN as None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def to_json(obj) -> str:
    """``obj`` as JSON, values it cannot encode cleaned by ``plain``."""
    return json.dumps(obj, allow_nan=True, default=plain)


def finite(x) -> float | None:
    """``x`` as a float, or None when it is missing, infinite or NaN."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def frame_to_json(df: pd.DataFrame) -> str:
    """A DataFrame as JSON that ``frame_from_json`` turns back into an equal frame (dtypes included)."""
    payload = {
        "columns": [str(c) for c in df.columns],
        "dtypes": [str(t) for t in df.dtypes],
        "data": [[plain(v) for v in row] for row in df.itertuples(index=False, name=None)],
    }
    return json.dumps(payload, allow_nan=True, separators=(",", ":"))


def frame_from_json(text: str | bytes) -> pd.DataFrame:
    """The DataFrame ``frame_to_json`` encoded, with its dtypes."""
    payload = json.loads(text)
    df = pd.DataFrame(payload["data"], columns=payload["columns"])
    if df.empty:
        df = pd.DataFrame({c: pd.Series([], dtype="object") for c in payload["columns"]})
    for col, dtype in zip(payload["columns"], payload["dtypes"]):
        if dtype == "object":
            df[col] = df[col].astype(object)
            continue
        try:
            df[col] = df[col].astype(dtype)
        except (TypeError, ValueError):  # e.g. an int column with NA: keep what pandas inferred
            pass
    return df
