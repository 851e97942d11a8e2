"""The one set of number formatters."""

from __future__ import annotations

import math

from reeplan.numbers import MISSING, adaptive, fixed, gap, is_number, precise, significant


def test_missing_values_show_as_missing():
    for x in (None, math.nan, math.inf, -math.inf, "text", True):
        assert fixed(x) == MISSING and gap(x) == MISSING
        assert not is_number(x)
    assert significant(None) == significant(math.nan) == adaptive(None) == MISSING


def test_numpy_scalars_are_numbers():
    import numpy as np

    assert fixed(np.int64(5), 0) == "5" and fixed(np.float64(2.5)) == "2.5" and gap(np.float64(0.001)) == "1.00e-03"
    assert not is_number(np.bool_(True))  # numpy bools are not numbers.Real


def test_formats():
    assert fixed(21870) == "21,870.0" and fixed(1234.5678, 2, "t") == "1,234.57 t"
    assert significant(0.000123456) == "0.000123" and significant(12345678.0) == "12345678" and significant(7) == "7"
    assert adaptive(21870.4, "t") == "21,870 t" and adaptive(0.0123456) == "0.0123"
    assert gap(1e-4) == "1.00e-04" and gap(0) == "0.00e+00"
    assert precise(1 / 3) == "0.3333333333"
