"""Output folders that cannot escape or destroy: safe default names, a check before the solve, whole-folder swaps.

``default_out_dir(name, kind)`` is ``reeplan-out/<safe name>``: one path component made of the
instance name, whatever that name holds (separators, ``..``, control characters, reserved device
names), so a default output folder is always directly under ``reeplan-out/`` in the working directory.

Reeplan marks every folder it writes with a small file, ``MARKER`` (``.reeplan-result``: one JSON line
with reeplan's version, the kind of folder and the files it wrote). ``check_out_dir(path, force)`` is
what a command calls *before* its solve: it refuses an existing file (always, ``force`` included) and a
non-empty folder without the marker (unless ``force``), so a bad ``--out`` fails before the work, not
after it. ``prepare_out_dir`` also creates and marks the folder, for writers that fill it file by file.

``write_folder(target, files, owned=...)`` replaces a result folder *whole*: every file is written
into a fresh sibling folder ``.<name>.reeplan-tmp-<random>`` (made with ``os.mkdir``, which fails
rather than reuse anything there: ``tempfile.mkdtemp``'s loop, with ordinary permissions), every file
in it created exclusively (``O_EXCL | O_NOFOLLOW``); the entries of the old folder that reeplan did
not write are linked into it; then the two folders are exchanged in one step (Linux ``renameat2`` with
``RENAME_EXCHANGE``) and the old one, now under the temporary name, is removed last. A process killed
at any point leaves at ``target`` either the old folder or the new one, each complete and each with the
user's own files, plus at most one sibling whose name says it is temporary. Where the exchange is
unavailable (not Linux, or a file system without it) the old folder is renamed aside and the new one
renamed in: two renames, between which ``target`` is briefly absent (both folders complete beside it).
The guarantees are against a killed process; nothing is fsync'ed, so a power cut may lose the write.

What is kept: reeplan's files are the names in ``owned`` (summary.json, instance.yaml, the table CSVs)
and those the marker lists; those the new result does not write again are dropped (a stale table would
mislead). Every other entry - the user's notes, ``comparison/`` of ``solve --robust`` - is carried into
the new folder, never moved: files as hard links (copies where the file system has none), folders
recreated with their files linked, symbolic links recreated as links (never followed), so at no instant
do they live only in a temporary folder. A folder reeplan did not write (no marker) is replaced only
with ``force``; its files named like reeplan's are then replaced, all others kept the same way. Refused
whatever ``force`` says: a file, the working folder or one that holds it, a folder holding a mount point,
and more than ``MAX_KEPT_ENTRIES`` entries to carry over.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import secrets
import shutil
import stat
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from reeplan.errors import UsageError
from reeplan.version import __version__

MARKER = ".reeplan-result"  # marks a folder reeplan wrote; holds reeplan's version and the kind of folder
OUT_ROOT = Path("reeplan-out")  # default output folders live here, in the working directory
MAX_FOLDER_NAME = 100  # characters of a default folder name (and at most 200 bytes of UTF-8)
_MAX_NAME_BYTES = 200
_TMP_TAG = "reeplan-tmp"  # in the name of every temporary sibling folder
MAX_KEPT_ENTRIES = 10_000  # files and folders of the user's that one write carries over (a bound on the work)
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", *(f"COM{i}" for i in range(10)),
             *(f"LPT{i}" for i in range(10)), *(f"COM{c}" for c in "¹²³"), *(f"LPT{c}" for c in "¹²³")}
_UNSAFE = set('/\\:*?"<>|')  # separators and what Windows refuses in a name
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # control, format (bidi overrides), unassigned


# ---------------------------------------------------------------------------------------- names


def safe_folder_name(text: str) -> str:
    """``text`` as one harmless folder name: no separators, no ``..``, no leading dot or dash, no control
    characters, not a reserved device name, at most ``MAX_FOLDER_NAME`` characters; ``"instance"`` if empty."""
    chars = []
    for ch in unicodedata.normalize("NFC", str(text)):
        category = unicodedata.category(ch)
        if ch in _UNSAFE or category in _UNSAFE_CATEGORIES or (category == "Zs" and ch != " "):
            chars.append("_")
        else:
            chars.append(ch)
    name = "".join(chars)
    while ".." in name:
        name = name.replace("..", ".")
    name = name.lstrip(" ._-~").rstrip(" .")
    stem, dot, rest = name.partition(".")
    if stem.upper() in _RESERVED:
        name = f"{stem}_{dot}{rest}"
    if len(name) > MAX_FOLDER_NAME or len(name.encode()) > _MAX_NAME_BYTES:
        digest = hashlib.sha256(str(text).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        keep = name[:MAX_FOLDER_NAME - 9]
        while len(keep.encode()) > _MAX_NAME_BYTES - 9:
            keep = keep[:-1]
        name = f"{keep.rstrip(' .')}-{digest}"
    return name or "instance"


def default_out_dir(instance_name: str, kind: str = "") -> Path:
    """``reeplan-out/<safe name>`` for an instance (``kind``: a suffix such as ``"-stress"``): always one folder
    directly under ``reeplan-out/`` in the working directory, whatever the name holds."""
    return OUT_ROOT / safe_folder_name(f"{instance_name}{kind}")


# ---------------------------------------------------------------------------------------- the marker


def is_result_folder(path: str | Path) -> bool:
    """Whether ``path`` is a folder reeplan wrote (it holds the marker file)."""
    try:
        return stat.S_ISREG(os.lstat(Path(path) / MARKER).st_mode)
    except OSError:
        return False


def marker_text(kind: str = "result", files: Iterable[str] = ()) -> str:
    """The content of the marker file: which reeplan wrote the folder, what it holds, and the files it wrote."""
    return json.dumps({"reeplan": __version__, "kind": kind, "files": sorted(files)}) + "\n"


def _marked_files(folder: Path) -> set[str]:
    """The files the marker says reeplan wrote (none if it says nothing readable)."""
    try:
        files = json.loads((folder / MARKER).read_text(encoding="utf-8")).get("files") or []
    except (OSError, ValueError, AttributeError):
        return set()
    return {f for f in files if isinstance(f, str)}


def _entries(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except FileNotFoundError:
        return []


def _holds_working_folder(resolved: Path) -> bool:
    cwd = Path.cwd().resolve()
    return cwd == resolved or resolved in cwd.parents


def _refusal(path: Path, entries: list[str]) -> UsageError:
    shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
    return UsageError(f"--out {path} is a folder reeplan did not write (it holds {shown}); writing there would "
                      "replace files named like reeplan's. Give --force to write there anyway (other files are "
                      "kept), or another --out")


def check_out_dir(path: str | Path, force: bool = False, *, replaced: bool = True) -> Path:
    """Check an output folder BEFORE the work that fills it; return its resolved path.

    Refused (``UsageError``, exit 2): an existing file, or a path below one (always); a non-empty folder
    without reeplan's marker (unless ``force``); a folder whose nearest existing parent is not writable; and,
    when the folder will be ``replaced`` whole (``Result.write``), the working folder or one that holds it."""
    given = Path(path)
    resolved = given.resolve()
    if resolved.exists() and not resolved.is_dir():
        raise UsageError(f"--out {given} is an existing file, not a folder: give another --out (reeplan never "
                         "replaces a file with a folder, --force included)")
    if resolved.is_dir():
        entries = _entries(resolved)
        if entries and not force and not is_result_folder(resolved):
            raise _refusal(given, entries)
        if replaced and _holds_working_folder(resolved):
            raise UsageError(f"--out {given} is the working folder or holds it: reeplan replaces its output folder "
                             "whole; give a folder of its own with --out")
        parent = resolved.parent
    else:
        parent = resolved.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise UsageError(f"--out {given}: {parent} is a file, so no folder can be made below it; give another --out")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--out {given}: cannot write in {parent} (permission denied); give another --out")
    return resolved


def prepare_out_dir(path: str | Path, force: bool = False, kind: str = "result") -> Path:
    """``check_out_dir``, then create the folder and mark it as reeplan's: for writers that fill a folder
    file by file (sweep, stress, compare); return the resolved path."""
    resolved = check_out_dir(path, force, replaced=False)
    resolved.mkdir(parents=True, exist_ok=True)
    if not is_result_folder(resolved):
        write_new_file(resolved / MARKER, marker_text(kind), replace=True)
    return resolved


# ---------------------------------------------------------------------------------------- files


def random_token() -> str:
    """A random part of a temporary name (12 hex digits)."""
    return secrets.token_hex(6)


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


def write_new_file(path: Path, data: str | bytes, *, replace: bool = False) -> Path:
    """Create ``path`` exclusively (never following a symlink, never opening an existing file) and write
    ``data`` (text as UTF-8); ``replace``: write a random temporary sibling, then rename it onto ``path``."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not replace:
        _write_fd(os.open(path, _CREATE, 0o666), raw)
        return path
    for _ in range(100):
        tmp = path.with_name(f".{path.name[:100]}.{random_token()}.tmp")
        try:
            fd = os.open(tmp, _CREATE, 0o666)
        except FileExistsError:  # taken (or planted): another random name
            continue
        break
    else:
        raise FileExistsError(f"no free temporary name beside {path}")
    try:
        _write_fd(fd, raw)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _write_fd(fd: int, raw: bytes) -> None:
    with open(fd, "wb", closefd=True) as fh:
        fh.write(raw)


# ---------------------------------------------------------------------------------------- whole-folder swap


def _temp_sibling(target: Path) -> Path:
    """A new empty folder beside ``target``, created exclusively under a random name that says it is temporary."""
    for _ in range(100):
        tmp = target.with_name(f".{target.name[:80]}.{_TMP_TAG}-{random_token()}")
        try:
            os.mkdir(tmp)
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name beside {target}")


def _inspect(target: Path, owned: set[str], written: set[str], force: bool) -> list[str] | None:
    """None: ``target`` does not exist; else the names of its entries to carry over. Raises when refused."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise UsageError(f"--out {target}: a file is on the way there, so no folder can be made; give another "
                         "--out") from None
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"--out {target} is an existing file, not a folder: give another --out")
    entries = _entries(target)
    marked = is_result_folder(target)
    if entries and not force and not marked:
        raise _refusal(target, entries)
    if _holds_working_folder(target):
        raise UsageError(f"--out {target} is the working folder or holds it: reeplan replaces its output folder "
                         "whole; give a folder of its own with --out")
    owned = owned | (_marked_files(target) if marked else set())  # what reeplan wrote there last time
    keep = []
    for name in entries:
        if name == MARKER:
            continue
        is_dir = stat.S_ISDIR(os.lstat(target / name).st_mode)
        if name in owned and is_dir:
            raise UsageError(f"{target / name} is a folder where reeplan writes a file: move it, or give another --out")
        if name not in owned and name not in written:
            keep.append(name)
    return keep


def _link_tree(src: Path, dst: Path, device: int, budget: list[int]) -> None:
    """Recreate ``src`` at ``dst`` without moving it: files hard-linked (copied where links fail), folders
    recreated, symbolic links recreated as links (never followed). Refuses a mount point inside (the old folder
    is deleted afterwards) and more than ``MAX_KEPT_ENTRIES`` entries (``budget``: what is left of it)."""
    budget[0] -= 1
    if budget[0] < 0:
        raise UsageError(f"{src.parent} holds more than {MAX_KEPT_ENTRIES:,} files and folders reeplan did not write; "
                         "reeplan keeps them all when it replaces its output folder, so give a folder of its own "
                         "with --out")
    st = os.lstat(src)
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), dst)
    elif stat.S_ISDIR(st.st_mode):
        if st.st_dev != device or os.path.ismount(src):
            raise UsageError(f"{src} is a mount point: reeplan will not replace a folder that holds one; give "
                             "another --out")
        os.mkdir(dst)
        for name in sorted(os.listdir(src)):
            _link_tree(src / name, dst / name, device, budget)
        os.chmod(dst, stat.S_IMODE(st.st_mode))
    elif stat.S_ISREG(st.st_mode):
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:
            shutil.copy2(src, dst, follow_symlinks=False)


def _carry_over(old: Path, new: Path, names: list[str]) -> list[str]:
    """Link the user's entries ``names`` of ``old`` into ``new``; return the names of special files (pipes,
    sockets, devices) to move in after the swap."""
    later = []
    device, budget = os.stat(old).st_dev, [MAX_KEPT_ENTRIES]
    for name in names:
        mode = os.lstat(old / name).st_mode
        if stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
            _link_tree(old / name, new / name, device, budget)
        else:
            later.append(name)
    return later


RENAME_EXCHANGE = 2  # renameat2 flag (Linux): swap two paths atomically
AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap the folders at ``a`` and ``b`` in one step (Linux renameat2); False where that is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def _swap(new: Path, target: Path, existed: bool) -> Path | None:
    """Put the folder ``new`` at ``target``; return where the old folder now is (None when there was none)."""
    if not existed:
        os.rename(new, target)
        return None
    if _exchange(new, target):
        return new  # the old folder, now under the temporary name
    aside = _temp_sibling(target)
    os.rename(target, aside)  # onto the empty folder just made: POSIX rename replaces an empty folder
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(aside, target)
        raise
    return aside


def _remove_old(old: Path, target: Path, later: list[str]) -> None:
    """Move what could not be linked (pipes, sockets) into ``target``, then delete the old folder."""
    for name in later:
        os.rename(old / name, target / name)
    shutil.rmtree(old, ignore_errors=True)


def write_folder(target: str | Path, files: Iterable[tuple[str, str | bytes]], *, owned: Iterable[str] = (),
                 force: bool = False, kind: str = "result") -> list[Path]:
    """Replace the folder ``target`` whole with ``files`` (name, content) and the marker; return the paths written.

    ``owned``: the names this writer may produce (its files from an earlier write that it does not write now
    are dropped, as stale); every other entry of the old folder is kept. See the module docstring for what a
    kill leaves and for ``force``."""
    target = Path(os.path.realpath(target))  # a symlink to a folder: the folder it names is replaced
    owned = set(owned)
    _inspect(target, owned, set(), force)  # refuse before writing anything
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(target)
    swapped = False
    try:
        names: list[str] = []
        for name, data in files:
            if not name or name != Path(name).name or name in (".", "..", MARKER) or "/" in name or "\\" in name:
                raise ValueError(f"not a plain file name: {name!r}")
            write_new_file(tmp / name, data)
            names.append(name)
        write_new_file(tmp / MARKER, marker_text(kind, names))
        keep = _inspect(target, owned, set(names), force)  # again: the folder may have changed meanwhile
        later = _carry_over(target, tmp, keep) if keep else []
        if keep is not None:
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))  # the folder keeps its permissions
        old = _swap(tmp, target, keep is not None)
        swapped = True
    finally:
        if not swapped:
            shutil.rmtree(tmp, ignore_errors=True)
    if old is not None:
        _remove_old(old, target, later)
    return [target / name for name in names]
