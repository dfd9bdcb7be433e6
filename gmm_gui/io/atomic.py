"""Writing files so that a failure never leaves half a file or destroys the previous one.

Data goes to a temporary file in the destination's folder, is flushed and ``fsync``-ed, and then
``os.replace``-d over the destination, which is atomic on POSIX and Windows. If anything fails
before the rename, the temporary file is removed and the destination is untouched.

The temporary file is named ``.NAME.gmmtmp-PID-RANDOM.tmp`` (``NAME`` shortened when needed, so
that the name never exceeds ``NAME_MAX`` = 255 bytes and any legal destination name works). It
is created exclusively (``O_CREAT | O_EXCL | O_NOFOLLOW``) under a random name: nothing planted
beside the destination (a file, a symbolic link to another file) is ever opened or followed.
Before each write, our leftovers for the same destination from an earlier crash (the process
that made them no longer runs, or they are over an hour old) are removed, so they never pile up.

A symbolic link is written through: its target gets the new content and the link stays. A
destination that exists but is not a regular file (``/dev/null``, a named pipe) cannot be
replaced, only written to, so it is written to directly, as ``cp`` would; it is opened without
waiting, so a pipe that no program reads is refused at once instead of blocking.

:func:`atomic_path` is the one to use for writers that need a file name (``QImage.save``,
pyqtgraph's exporters): screenshots and plot exports go through it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = ["atomic_path", "atomic_write", "atomic_write_many", "remove_stale_temps"]


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


# --------------------------------------------------------------------------------------------
# Temporary files: ``.NAME.gmmtmp-PID-RANDOM.tmp`` beside the destination


NAME_MAX = 255  #: longest file name, in bytes, on the file systems the app writes to
TEMP_MARK = ".gmmtmp-"  #: what marks a temporary file of ours, between the name and the suffix
#: A temporary file of ours younger than this is never taken for a leftover (seconds).
STALE_MIN_AGE = 60.0
#: One older than this is a leftover even if the process that made it still runs (seconds).
STALE_MAX_AGE = 3600.0
_TEMP_RE = re.compile(r"^\.(?P<stem>.*)\.gmmtmp-(?P<pid>[0-9]+)-[0-9a-f]{12}\.tmp$", re.DOTALL)
_CREATE_ATTEMPTS = 100
_LONGEST_TAIL = len(f".{TEMP_MARK}{2**32}-{'0' * 12}.tmp".encode())  # "." + mark + pid + ...


def _temp_stem(name: str) -> str:
    """``name`` shortened (by whole characters) so that its temporary name fits NAME_MAX bytes."""
    stem = name
    while len(os.fsencode(stem)) + _LONGEST_TAIL > NAME_MAX:
        stem = stem[:-1]
    return stem


def _temp_name(path: Path) -> Path:
    """A fresh random temporary name beside ``path`` (never longer than NAME_MAX bytes)."""
    return path.with_name(
        f".{_temp_stem(path.name)}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(6)}.tmp"
    )


def _create_temp(path: Path, mode: int) -> tuple[Path, int]:
    """Create a new temporary file beside ``path``; return it and a descriptor open for writing.

    The name is random and created exclusively (``O_CREAT | O_EXCL | O_NOFOLLOW``): a file or a
    symbolic link planted under that name makes the creation fail, and another name is tried;
    nothing that already exists is ever opened or followed. Our leftovers for ``path`` from an
    earlier crash are removed first.
    """
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_BINARY", 0)
    )
    remove_stale_temps(path)
    for _ in range(_CREATE_ATTEMPTS):
        tmp = _temp_name(path)
        try:
            return tmp, os.open(tmp, flags, mode)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name beside it", str(path))


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no harmless way to ask (os.kill(pid, 0) would send CTRL_C_EVENT)
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # someone else's process, or no way to tell: assume it runs
    return True


def remove_stale_temps(path: str | os.PathLike[str]) -> None:
    """Remove our temporary files for ``path`` left by an earlier crash (best effort).

    A leftover is a regular file named like our temporary files for this destination
    (``.NAME.gmmtmp-PID-RANDOM.tmp``), owned by this user, at least :data:`STALE_MIN_AGE`
    seconds old, and made by a process that no longer runs or older than
    :data:`STALE_MAX_AGE`. Anything else is left alone; errors are ignored. Every write calls
    this, so leftovers never pile up.
    """
    path = Path(path)
    stem = _temp_stem(path.name)
    prefix = f".{stem}{TEMP_MARK}"
    now = time.time()
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    try:
        entries = os.scandir(path.parent)
    except OSError:
        return
    with entries:
        for entry in entries:
            if not entry.name.startswith(prefix):
                continue
            match = _TEMP_RE.match(entry.name)
            if match is None or match["stem"] != stem:
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or (uid is not None and info.st_uid != uid):
                continue
            age = now - info.st_mtime
            if age < STALE_MIN_AGE:
                continue
            if age > STALE_MAX_AGE or not _pid_alive(int(match["pid"])):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _new_file_mode(path: Path) -> int:
    """An existing destination's permission bits, else 0o666 (the umask filters it)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666


def _write_temp(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``path``; return the temporary path."""
    tmp, fd = _create_temp(path, _new_file_mode(path))
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

    The temporary file is created (empty, exclusively, under a random name) before the block
    starts; write the file there inside the ``with`` block, by name. When the block ends
    without error, the file must still be a regular file (not replaced by a link); it is given
    the mode a new file gets (or the existing file's), ``fsync``-ed and renamed over ``path``.
    Otherwise it is removed and ``path`` is left as it was.

    Use it for every file written by name, e.g.::

        with atomic_path(path) as tmp:
            if not image.save(str(tmp), "PNG"):
                raise OSError(f"{path}: cannot write the picture")

    Yields
    ------
    Path
        The temporary file to write (its suffix is ``.tmp``: pass the format explicitly).
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
    existing_mode = _new_file_mode(target)
    tmp, fd = _create_temp(target, 0o666)  # made here, exclusively; the writer opens it by name
    os.close(fd)
    try:
        yield tmp
        _check_and_sync(tmp, path, None if existing_mode == 0o666 else existing_mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_folder(target.parent)


def _check_and_sync(tmp: Path, path: str | os.PathLike[str], mode: int | None) -> None:
    """Check that the writer left a regular file (not a link) at ``tmp``; set ``mode``; fsync."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags)
    except OSError as exc:
        raise OSError(exc.errno, f"not written ({exc.strerror})", str(path)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "the temporary file was replaced", str(path))
        if mode is not None:
            if os.chmod in os.supports_fd:
                os.chmod(fd, mode)
            else:
                os.chmod(tmp, mode)
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


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
