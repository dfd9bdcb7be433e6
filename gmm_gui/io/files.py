"""Opening a user's file for reading without hanging, and within the memory the machine has.

Every file the app reads (data files, parameter files) is opened here:

* only a *regular* file is opened: a named pipe (FIFO), a device (``/dev/zero``, even behind a
  symbolic link), a socket or a folder is refused from its ``stat`` before it is opened, so
  reading never blocks on a pipe nor grows without end on a device; the opened descriptor is
  checked again with ``fstat`` (nothing swapped in between);
* a file larger than a fixed limit is refused before a byte is read, and so is anything that
  would need more than a share of the memory available (see :data:`MAX_DATA_FILE_BYTES`,
  :data:`MAX_PARAMETER_FILE_BYTES`, :data:`MAX_ARRAY_BYTES`, :data:`MEMORY_SHARE`);
* files are read in chunks, so a reader can stop at the first sign of binary data.

Every refusal is an exception of the caller's error type (a :class:`~gmm_gui.io.DataError`
subclass) whose message is one line naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Iterator
from typing import BinaryIO

__all__ = [
    "CHUNK_BYTES",
    "MAX_ARRAY_BYTES",
    "MAX_DATA_FILE_BYTES",
    "MAX_GROWTH_BYTES",
    "MAX_PARAMETER_FILE_BYTES",
    "MEMORY_SHARE",
    "available_memory",
    "check_expansion",
    "describe_size",
    "file_kind",
    "open_regular",
    "read_chunks",
    "read_regular",
    "regular_file_size",
]

_KIB = 1024
_MIB = 1024 * _KIB
_GIB = 1024 * _MIB

#: Largest data file (text table, ``.npy``, ``.npz``) read, in bytes: 4 GiB.
MAX_DATA_FILE_BYTES = 4 * _GIB
#: Largest parameter (JSON) file read, in bytes: 16 MiB (a mixture file is a few kilobytes).
MAX_PARAMETER_FILE_BYTES = 16 * _MIB
#: Largest array an ``.npy`` header may claim, or an ``.npz`` member may expand to: 4 GiB.
MAX_ARRAY_BYTES = 4 * _GIB
#: Share of the memory available (free memory, or the process's address-space limit if lower)
#: that one file, or one array expanded from it, may take.
MEMORY_SHARE = 0.5
#: Bytes read at a time.
CHUNK_BYTES = 1 * _MIB
#: How much more than its size (when opened) a file may turn out to hold: a file that grows
#: while it is read, or a system file that reports size 0, is read no further than this.
MAX_GROWTH_BYTES = 64 * _MIB

ErrorType = Callable[[str], Exception]


def describe_size(n_bytes: int) -> str:
    """A size for a person: ``"192 bytes"``, ``"1.5 MiB"``, ``"60.0 GiB"``."""
    if n_bytes < _KIB:
        return f"{n_bytes} byte" if n_bytes == 1 else f"{n_bytes} bytes"
    for unit, size in (("TiB", _GIB * 1024), ("GiB", _GIB), ("MiB", _MIB)):
        if n_bytes >= size:
            return f"{n_bytes / size:.1f} {unit}"
    return f"{n_bytes / _KIB:.1f} KiB"


def available_memory() -> int | None:
    """Bytes this process can still allocate, as far as the system says; None if unknown.

    The smallest of: the memory the kernel reports available (``MemAvailable`` in
    ``/proc/meminfo``, else free pages from ``sysconf``), what a cgroup v2 memory limit leaves
    (a container's ``memory.max`` minus ``memory.current``), and what the address-space limit
    (``RLIMIT_AS``) leaves beside the process's current size.
    """
    found: list[int] = []
    try:
        with open("/proc/meminfo", "rb") as handle:
            for line in handle:
                if line.startswith(b"MemAvailable:"):
                    found.append(int(line.split()[1]) * _KIB)
                    break
    except (OSError, ValueError, IndexError):
        pass
    if not found:
        with contextlib.suppress(ValueError, OSError, AttributeError):
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    with contextlib.suppress(OSError, ValueError):
        with open("/sys/fs/cgroup/memory.max", "rb") as handle:
            limit = handle.read().strip()
        if limit != b"max":
            with open("/sys/fs/cgroup/memory.current", "rb") as handle:
                found.append(max(0, int(limit) - int(handle.read().strip())))
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            found.append(max(0, soft - _address_space_used()))
    return min(found) if found else None


def _address_space_used() -> int:
    """The process's virtual size (``VmSize``), 0 if unknown."""
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmSize:"):
                    return int(line.split()[1]) * _KIB
    except (OSError, ValueError, IndexError):
        pass
    return 0


def check_expansion(
    n_bytes: int, shown: str, what: str, error: ErrorType, *, limit: int | None = None
) -> None:
    """Refuse to make something of ``n_bytes`` from a file when it is too large.

    Parameters
    ----------
    n_bytes : int
        The memory it would take.
    shown : str
        The file, for the message.
    what : str
        What would be made, with its size, e.g. ``"its header claims an array of shape
        (8053063680,) float64 (60.0 GiB)"``; the message is ``"{shown}: {what}; ..."``.
    error : callable
        The exception type to raise (called with the message).
    limit : int, optional
        The absolute cap (default :data:`MAX_ARRAY_BYTES`); :data:`MEMORY_SHARE` of the memory
        available applies too.

    Raises
    ------
    Exception
        ``error(message)``, naming the file, the size and the limit that was passed.
    """
    limit = MAX_ARRAY_BYTES if limit is None else limit
    if n_bytes > limit:
        raise error(f"{shown}: {what}; gmm-gui reads at most {describe_size(limit)}")
    memory = available_memory()
    if memory is not None and n_bytes > MEMORY_SHARE * memory:
        raise error(
            f"{shown}: {what}; that is more than {MEMORY_SHARE:.0%} of the memory available "
            f"({describe_size(memory)})"
        )


def file_kind(mode: int) -> str | None:
    """What a ``stat`` mode is, if not a regular file: ``"a named pipe (FIFO)"``, ...; else None."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refusal(shown: str, kind: str) -> str:
    if kind == "a folder":
        return f"{shown}: is a folder, not a file"
    return f"{shown}: is {kind}, not a regular file; gmm-gui reads only regular files"


def _os_refusal(exc: OSError, shown: str) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"{shown}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{shown}: is a folder, not a file"
    if isinstance(exc, PermissionError):
        return f"{shown}: permission denied"
    if exc.errno == errno.ELOOP:
        return f"{shown}: cannot be read (a loop of symbolic links)"
    return f"{shown}: cannot be read ({exc.strerror or exc})"


def regular_file_size(
    path: str | os.PathLike[str], shown: str, error: ErrorType, *, max_bytes: int
) -> int:
    """The size of ``path`` if it is a regular file no larger than ``max_bytes``.

    Nothing is opened: only ``stat`` (which follows symbolic links) is asked.

    Raises
    ------
    Exception
        ``error(message)`` for a missing file, a loop of links, a folder, a pipe, a device, a
        socket, or a file larger than ``max_bytes``.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        raise error(_os_refusal(exc, shown)) from None
    except ValueError:  # an embedded NUL in the name
        raise error(f"{shown}: not a valid file name") from None
    kind = file_kind(info.st_mode)
    if kind is not None:
        raise error(_refusal(shown, kind))
    if info.st_size > max_bytes:
        raise error(_too_large(shown, info.st_size, max_bytes))
    return int(info.st_size)


def _too_large(shown: str, size: int, max_bytes: int) -> str:
    return (
        f"{shown}: is {describe_size(size)}; gmm-gui reads files of up to "
        f"{describe_size(max_bytes)}"
    )


@contextlib.contextmanager
def open_regular(
    path: str | os.PathLike[str], shown: str, error: ErrorType, *, max_bytes: int
) -> Iterator[tuple[BinaryIO, int]]:
    """Open a regular file for reading, refusing anything else before it is opened.

    Parameters
    ----------
    path : str or path-like
        The file; symbolic links are followed (a link to ``/dev/zero`` is refused like
        ``/dev/zero``).
    shown : str
        The file as the user gave it, for messages.
    error : callable
        The exception type to raise.
    max_bytes : int
        Largest size accepted.

    Yields
    ------
    handle : binary file
        Open for reading, unbuffered.
    size : int
        The file's size when it was opened.
    """
    regular_file_size(path, shown, error, max_bytes=max_bytes)
    # O_NONBLOCK: should a pipe be swapped in after the stat, opening it does not wait for a
    # writer; fstat below then refuses it. O_NOCTTY: a terminal never becomes ours.
    flags = (
        os.O_RDONLY
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_NOCTTY", 0)
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_BINARY", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise error(_os_refusal(exc, shown)) from None
    try:
        info = os.fstat(fd)
        kind = file_kind(info.st_mode)
        if kind is not None:
            raise error(_refusal(shown, kind))
        if info.st_size > max_bytes:
            raise error(_too_large(shown, info.st_size, max_bytes))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle, int(info.st_size)


def read_chunks(
    handle: BinaryIO, shown: str, error: ErrorType, *, size: int, max_bytes: int
) -> Iterator[bytes]:
    """The content of ``handle`` in chunks of :data:`CHUNK_BYTES`, bounded.

    Parameters
    ----------
    handle : binary file
        From :func:`open_regular`.
    shown : str
        The file, for messages.
    error : callable
        The exception type to raise.
    size : int
        The file's size when it was opened; at most :data:`MAX_GROWTH_BYTES` more is read (a
        file that grows while it is read, or a system file that reports size 0 but has no end).
    max_bytes : int
        Never more than this in all.

    Raises
    ------
    Exception
        ``error(message)`` if more comes than allowed, or a read fails.
    """
    allowed = min(max_bytes, size + MAX_GROWTH_BYTES)
    total = 0
    while True:
        try:
            chunk = handle.read(CHUNK_BYTES)
        except OSError as exc:
            raise error(_os_refusal(exc, shown)) from None
        if not chunk:
            return
        total += len(chunk)
        if total > allowed:
            raise error(
                f"{shown}: grew while it was read (it was {describe_size(size)}; more than "
                f"{describe_size(allowed)} came); gmm-gui reads a file that stays as it is"
            )
        yield chunk


def read_regular(
    path: str | os.PathLike[str], shown: str, error: ErrorType, *, max_bytes: int
) -> bytes:
    """The whole content of a regular file of at most ``max_bytes``, read in chunks.

    See :func:`open_regular` for what is refused. The file must also fit in
    :data:`MEMORY_SHARE` of the memory available.
    """
    with open_regular(path, shown, error, max_bytes=max_bytes) as (handle, size):
        check_expansion(size, shown, f"is {describe_size(size)}", error, limit=max_bytes)
        return b"".join(read_chunks(handle, shown, error, size=size, max_bytes=max_bytes))
