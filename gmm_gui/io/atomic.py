"""Writing files so that a failure never leaves half a file or destroys the previous one.

Data goes to a temporary file in the destination's folder, is flushed and ``fsync``-ed, and then
``os.replace``-d over the destination, which is atomic on POSIX and Windows. If anything fails
before the rename, the temporary file is removed and the destination is untouched.

A symbolic link is written through: its target gets the new content and the link stays. A
destination that exists but is not a regular file (``/dev/null``, a named pipe) cannot be
replaced, only written to, so it is written to directly, as ``cp`` would.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = ["atomic_path", "atomic_write", "atomic_write_many"]


def _destination(path: str | os.PathLike[str]) -> Path:
    """The file to write for ``path``: a symbolic link's target (the link stays), else ``path``."""
    p = Path(path)
    if not p.is_symlink():
        return p
    try:
        os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, "a loop of symbolic links", str(path)) from None
    return Path(os.path.realpath(p))


def _is_special(path: Path) -> bool:
    """True for an existing destination that is not a regular file or folder (a device, a pipe)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _open_special(path: Path) -> int:
    """Open a device or named pipe for writing without waiting for a reader.

    A pipe that no program reads from would block ``open`` forever; opened non-blocking it
    fails at once (``ENXIO``), and that becomes an ``OSError`` that says so. Once open, the
    descriptor is made blocking again, so a slow reader is waited for, as ``cp`` would.
    """
    flags = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OSError(
                exc.errno, "a named pipe that no program is reading from", str(path)
            ) from None
        raise
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return fd


def _write_fd(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` and close it."""
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _write_special(path: Path, data: bytes) -> None:
    _write_fd(_open_special(path), data)


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


def _write_temp(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``path``; return the temporary path."""
    tmp = _temp_name(path)
    # 0o666 filtered by the umask, like any file a program creates; keep an existing file's mode.
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` for writers that need a file name (Qt, pyqtgraph).

    Write the file there inside the ``with`` block; when the block ends without error it is
    given the mode a new file gets (or the existing file's) and renamed over ``path``.
    Otherwise it is removed and ``path`` is left as it was.
    """
    target = _destination(path)
    if _is_special(target):
        # not beside it: a device's folder is no place for a file (/dev)
        fd, name = tempfile.mkstemp(suffix=target.suffix)
        os.close(fd)
        tmp = Path(name)
        try:
            yield tmp
            _write_special(target, tmp.read_bytes())
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return
    tmp = _temp_name(target)
    try:
        yield tmp
        try:
            mode = target.stat().st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX only; best effort)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Replace the file at ``path`` with ``data`` in one step.

    Parameters
    ----------
    path : str or path-like
        Destination. Its folder must exist.
    data : bytes or str
        The complete new content; a ``str`` is written as UTF-8.

    Raises
    ------
    OSError
        If the temporary file cannot be written or renamed. The destination then still holds
        its previous content (or still does not exist) and no temporary file is left behind.
    """
    atomic_write_many({path: data})


def atomic_write_many(files: Mapping[str | os.PathLike[str], bytes | str]) -> None:
    """Write several files, each atomically, all or none as far as the file system allows.

    Every file is first written in full to its temporary name; only when all of them have been
    written are they renamed over their destinations. A failure while writing (disk full,
    permission denied, missing folder) therefore changes none of the destinations.

    Parameters
    ----------
    files : mapping of path to bytes or str
        Destination paths and their complete new contents.
    """
    written: list[tuple[Path, Path, Path]] = []  # (temporary, destination, the user's path)
    special: list[tuple[int, bytes, Path]] = []  # (open descriptor, data, the user's path)
    current: Path | None = None
    try:
        for path, data in files.items():
            current = Path(path)
            target = _destination(path)
            if _is_special(target):
                # opened now, so that a pipe nobody reads fails before anything is replaced
                special.append((_open_special(target), _as_bytes(data), current))
            else:
                written.append((_write_temp(target, _as_bytes(data)), target, current))
        for tmp, target, user_path in written:
            current = user_path  # named if the rename fails
            os.replace(tmp, target)
        while special:
            fd, data, user_path = special.pop(0)
            current = user_path
            _write_fd(fd, data)
    except BaseException as exc:
        for tmp, _, _ in written:
            with contextlib.suppress(OSError):
                tmp.unlink()
        for fd, _, _ in special:
            with contextlib.suppress(OSError):
                os.close(fd)
        if isinstance(exc, OSError) and current is not None and exc.filename != str(current):
            # Name the user's file, not the hidden temporary one beside it.
            raise OSError(exc.errno, exc.strerror, str(current)) from exc
        raise
    for folder in {target.parent for _, target, _ in written}:
        _fsync_folder(folder)
