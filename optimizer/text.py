"""User text is data, never markup: names, paths, ``--set`` values and messages shown as they are.

``shown(text)`` is what goes into a rich string or a rich table cell; ``plain(text)`` is for any
other place that must not receive raw control characters (a chart label, an HTML page).
"""

from __future__ import annotations

import re

# C0 controls except tab and newline (multi-line messages keep their lines), DEL, and C1 controls;
# ESC (\x1b) and CSI (\x9b) start every ANSI escape sequence, so those are covered too
# and the bidirectional overrides and isolates, which can make a name read backwards on screen
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(text: object) -> str:
    """``str(text)`` with each control character written as its escape, as ``repr`` does (``\\x1b``, ``\\r``)."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(text))


def shown(text: object) -> str:
    """``plain(text)`` with rich markup escaped: safe inside a rich string, prints exactly as written."""
    from rich.markup import escape  # defers rich

    return escape(plain(text))
