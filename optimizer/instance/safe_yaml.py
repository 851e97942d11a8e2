"""The one YAML reader of reeplan (instance files, ``scalars.yaml``, scenario files, ``--set`` values)
and the one way input files are opened.

``yaml.safe_load`` reads YAML 1.1: ``1:30`` is 90, ``0x10`` is 16, ``010`` is 8, ``no`` is False, a
repeated key silently replaces the first, and aliases let a 1 KB file expand to gigabytes. This
loader reads:

- numbers only in the spellings YAML 1.1 and YAML 1.2 agree on, with the value both give them:
  decimal integers without leading zeros (``0``, ``-12``, ``2030``), decimals with a point
  (``1.5``, ``2.``, ``.5``, ``1.0e+20``), ``.inf``, ``-.inf``, ``.nan``. Every other spelling stays
  text - ``1:30``, ``0x10``, ``0o7``, ``0b11``, ``010``, ``1_000``, ``1e5`` - and the schema parses
  text where it expects a number: ``1e5`` is 100000.0 and ``010`` is 10 there (YAML 1.2 numbers),
  while ``1:30`` and ``0x10`` are refused with the field and the value named. Anything
  ``yaml.safe_dump`` writes (``Result.write``'s ``instance.yaml``) reads back as written: every
  spelling read here as a number is one ``yaml.safe_dump`` quotes when it is text;
- booleans ``true`` and ``false`` (also ``True``, ``TRUE``, ``False``, ``FALSE``); ``yes``, ``no``,
  ``on``, ``off`` are text (so a region ``NO`` stays "NO"; the schema's yes/no fields still take them);
- null as ``~``, ``null`` or nothing; no dates, no merge keys (``<<``), explicit tags only
  ``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``, ``!!seq``, ``!!map``;
- a key repeated in one mapping: an error naming the key and both lines;
- anchors and aliases (``&name``, ``*name``): an error (they are how a tiny file expands to gigabytes);
- collections nested more than ``MAX_DEPTH`` (50) deep: an error (an instance needs about 6).

Files (``read_text_file``): regular files only - a FIFO, a device, a socket or a folder is refused
from its ``stat``, before it is opened, and the open itself does not block - of at most
``REEPLAN_MAX_INPUT_MB`` megabytes (environment variable, default 20, 1 MB = 10**6 bytes), UTF-8
with or without a byte-order mark.
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path
from typing import Any, ClassVar

import yaml
from reeplan.errors import InstanceError, Problem, UsageError

MAX_DEPTH = 50  # collections inside collections; the instance format needs about 6
MAX_INPUT_ENV = "REEPLAN_MAX_INPUT_MB"
DEFAULT_MAX_INPUT_MB = 20.0
MB = 10**6

_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^(?:[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?|\.[0-9]+(?:[eE][-+][0-9]+)?"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


class RefusedYamlError(yaml.MarkedYAMLError):
    """Well-formed YAML that reeplan refuses: an alias, a repeated key, too deep a nesting, a foreign tag.

    ``value``: what the message is about (the repeated key, the alias name), for the Problem it becomes."""

    def __init__(self, problem: str, mark, value: object = None):
        super().__init__(problem=problem, problem_mark=mark)
        self.value = value

    @property
    def line(self) -> int | None:
        """1-based line of the refused construct (None if unknown)."""
        return None if self.problem_mark is None else self.problem_mark.line + 1


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-agreeing scalars, no aliases, no repeated keys, bounded nesting."""

    yaml_implicit_resolvers: dict[Any, Any] = {}
    yaml_constructors: ClassVar[dict[Any, Any]] = {}

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise RefusedYamlError(f"alias *{event.anchor} refused: anchors and aliases (&name, *name) are not "
                                   "allowed in reeplan input; write the value out", event.start_mark, event.anchor)
        if getattr(event, "anchor", None) is not None:
            raise RefusedYamlError(f"anchor &{event.anchor} refused: anchors and aliases (&name, *name) are not "
                                   "allowed in reeplan input; write the value out", event.start_mark, event.anchor)
        nests = isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent))
        if nests:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise RefusedYamlError(f"collections nested more than {MAX_DEPTH} deep", event.start_mark, self._depth)
        try:
            return super().compose_node(parent, index)
        finally:
            if nests:
                self._depth -= 1

    def construct_mapping(self, node, deep=False):
        """A dict of the mapping; a key seen twice is an error naming both lines (no merge keys)."""
        if not isinstance(node, yaml.MappingNode):
            raise RefusedYamlError(f"expected a mapping, found {node.id}", node.start_mark)
        mapping: dict = {}
        first_line: dict = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                seen = key in mapping
            except TypeError:
                raise RefusedYamlError("a mapping key must be a plain value, not a list or mapping",
                                       key_node.start_mark) from None
            line = key_node.start_mark.line + 1
            if seen:
                raise RefusedYamlError(f"duplicate key {key!r} at line {line} (first at line {first_line[key]})",
                                       key_node.start_mark, key)
            first_line[key] = line
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_strict_int(self, node):
        """A decimal integer (explicit ``!!int`` too); hex, octal, sexagesimal and 5,000-digit numbers refused."""
        text = str(self.construct_scalar(node))
        if not _INT.match(text):
            raise RefusedYamlError(f"{text!r} is not a decimal integer", node.start_mark, text)
        try:
            return int(text)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise RefusedYamlError(f"integer of {len(text)} digits", node.start_mark, text[:20] + "...") from None

    def construct_strict_float(self, node):
        """A decimal number with a point, or .inf / .nan (the schema refuses those where it wants a finite one)."""
        text = str(self.construct_scalar(node))
        special = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}.get(text.lower())
        if special is not None:
            return special
        try:
            return float(text)
        except ValueError:
            raise RefusedYamlError(f"{text!r} is not a decimal number", node.start_mark, text) from None

    def construct_strict_bool(self, node):
        """true or false (yes/no/on/off are text)."""
        text = str(self.construct_scalar(node))
        if text not in _BOOL:
            raise RefusedYamlError(f"{text!r} is not true or false", node.start_mark, text)
        return _BOOL[text]

    def construct_refused(self, node):
        """Any other tag (dates, binary, sets, Python objects)."""
        raise RefusedYamlError(f"tag {node.tag!r} is not allowed in reeplan input", node.start_mark, node.tag)


for _tag, _regexp, _first in (
        ("bool", re.compile("^(?:" + "|".join(_BOOL) + ")$"), list("tTfF")),
        ("int", _INT, list("-+0123456789")),
        ("float", _FLOAT, list("-+0123456789.")),
        ("null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])):
    _StrictLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", _regexp, _first)
for _tag, _constructor in (
        ("null", yaml.SafeLoader.construct_yaml_null), ("bool", _StrictLoader.construct_strict_bool),
        ("int", _StrictLoader.construct_strict_int), ("float", _StrictLoader.construct_strict_float),
        ("str", yaml.SafeLoader.construct_yaml_str), ("seq", yaml.SafeLoader.construct_yaml_seq),
        ("map", yaml.SafeLoader.construct_yaml_map)):
    _StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _constructor)
_StrictLoader.add_constructor(None, _StrictLoader.construct_refused)


def load_yaml(text: str) -> object:
    """Parse one YAML document with the strict loader (raises ``yaml.YAMLError``; ``RefusedYamlError``
    for well-formed YAML that reeplan refuses)."""
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def yaml_problem(where: str, exc: yaml.YAMLError) -> Problem:
    """The Problem of a YAML file that failed to load: the line, and what is wrong there."""
    mark = getattr(exc, "problem_mark", None)
    at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    if isinstance(exc, RefusedYamlError):
        text = str(exc.problem) if "line" in str(exc.problem) or not mark else f"{at.strip()}: {exc.problem}"
        return Problem(where, "", "", "", exc.value, text,
                       "reeplan reads plain YAML: no anchors or aliases, each key once, at most "
                       f"{MAX_DEPTH} levels of nesting")
    return Problem(where, "", "", "", None, f"not valid YAML{at}: {getattr(exc, 'problem', None) or exc}",
                   "check indentation and quoting")


def max_input_bytes() -> int:
    """Largest input file read (bytes): ``REEPLAN_MAX_INPUT_MB`` megabytes, default 20 (UsageError if not a number)."""
    raw = os.environ.get(MAX_INPUT_ENV, "").strip()
    if not raw:
        return int(DEFAULT_MAX_INPUT_MB * MB)
    try:
        mb = float(raw)
    except ValueError:
        mb = math.nan
    if not (math.isfinite(mb) and mb > 0):
        raise UsageError(f"{MAX_INPUT_ENV} must be a positive number of megabytes, got {raw!r}")
    return max(1, int(mb * MB))


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _refuse(path: Path, message: str, hint: str = "", value: object = None) -> InstanceError:
    return InstanceError([Problem(str(path), "", "", "", value, message, hint)])


def read_text_file(path: str | Path) -> str:
    """The text of a regular file of at most ``max_input_bytes()``, decoded as UTF-8 (a BOM dropped).

    Raises InstanceError naming the file: missing, not a regular file (checked before opening, and
    the open does not block), too large, unreadable or not UTF-8."""
    path = Path(path)
    limit = max_input_bytes()
    try:
        kind = _not_regular(os.stat(path).st_mode)
    except FileNotFoundError:
        raise _refuse(path, "no such file") from None
    except OSError as exc:
        raise _refuse(path, f"cannot read file: {exc.__class__.__name__}: {exc}") from None
    if kind is not None:
        raise _refuse(path, f"not a regular file: {kind}", "give a file of the instance format (a .yaml file, "
                      "or a folder holding scalars.yaml and CSV tables)")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise _refuse(path, f"cannot read file: {exc.__class__.__name__}: {exc}") from None
    with os.fdopen(fd, "rb") as fh:
        try:
            kind = _not_regular(os.fstat(fh.fileno()).st_mode)  # replaced since the stat above
            if kind is not None:
                raise _refuse(path, f"not a regular file: {kind}")
            data = fh.read(limit + 1)
        except OSError as exc:
            raise _refuse(path, f"cannot read file: {exc.__class__.__name__}: {exc}") from None
    if len(data) > limit:
        raise _refuse(path, f"file larger than {limit / MB:g} MB, the limit on input files ({MAX_INPUT_ENV})",
                      f"a real instance is far smaller; if this one is not, raise {MAX_INPUT_ENV}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(path, f"cannot read file: UnicodeDecodeError: {exc}", "save the file as UTF-8") from None


def read_yaml_file(path: str | Path) -> object:
    """Read and parse a YAML file with the strict loader; InstanceError naming the file (and line) otherwise."""
    text = read_text_file(path)
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        raise InstanceError([yaml_problem(str(path), exc)]) from None
