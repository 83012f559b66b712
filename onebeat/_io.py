"""Files that are either complete or not there (write to a temp file, then rename), JSON
files read with one-line errors, and where onebeat keeps its files."""

from __future__ import annotations

import ctypes
import functools
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "give_back_memory",
    "read_json",
    "user_dir",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Files written here get the permissions ``open()`` would give them (the temp file's
#: own are owner-only), read once at import, since reading the umask changes it briefly.
_FILE_MODE = 0o666 & ~_umask()


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success it replaces ``path``, on error it goes.

    A ``path`` that is not a regular file (``/dev/null``, a named pipe, a terminal) is
    written to, never replaced: renaming over it would put a plain file where a device
    was (run as root, ``--tab /dev/null`` once deleted the system's ``/dev/null``)."""
    p = Path(path)
    if p.exists() and not p.is_file() and not p.is_dir():
        with tempfile.TemporaryDirectory(prefix="onebeat-") as folder:
            tmp = Path(folder) / p.name
            yield tmp
            with open(tmp, "rb") as src, open(p, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
        return
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(name)
        os.chmod(name, _FILE_MODE)
        os.replace(name, p)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (same-folder temp file + ``os.replace``)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def read_json(path: Path, error: type[Exception], what: str) -> Any:
    """The JSON in ``path``; ``error("<path>: not a readable <what> (…)")`` when it is
    missing, unreadable or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path}: not a readable {what} ({exc})") from None


def user_dir(env: str, xdg: str, home_default: str) -> Path:
    """A folder of onebeat's: ``$<env>``, else ``$<xdg>/onebeat``, else
    ``~/<home_default>/onebeat`` (the XDG base-directory convention)."""
    chosen = os.environ.get(env)
    if chosen:
        return Path(chosen)
    base = os.environ.get(xdg)
    return (Path(base) if base else Path.home() / home_default) / "onebeat"


@functools.cache
def _malloc_trim() -> Callable[[int], Any] | None:
    """glibc's ``malloc_trim`` (None elsewhere: macOS, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return cast(Callable[[int], Any], ctypes.CDLL(None).malloc_trim)
    except (OSError, AttributeError):
        return None


def give_back_memory() -> None:
    """Return the heap's freed memory to the system (glibc keeps it, fragmented, for
    the process's later allocations: after a long song's analysis, hundreds of MiB that
    the next step would grow on). Milliseconds; nothing where glibc is not the C library."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
