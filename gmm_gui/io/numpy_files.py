"""NumPy ``.npy`` and ``.npz`` files, always loaded with ``allow_pickle=False``.

A user's file is data and is never unpickled. An ``.npz`` file's first numeric array is read
unless another is named; a structured array's fields become named columns.
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
import zlib
from typing import BinaryIO

import numpy as np
from numpy.lib import format as npformat

from gmm_gui.io.columns import Columns, NumericColumn, read_only
from gmm_gui.io.columns import names as _names
from gmm_gui.io.errors import DataError, quoted
from gmm_gui.io.files import CHUNK_BYTES, check_expansion, describe_size

__all__ = ["NPY_MAGIC", "ZIP_MAGICS", "columns_from_array", "load_npy", "load_npz"]

#: The first bytes of a ``.npy`` file.
NPY_MAGIC = b"\x93NUMPY"
#: The first bytes of a zip (so ``.npz``) file: a local file header or an empty archive.
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


_PICKLE = "holds Python objects, which gmm-gui does not unpickle"


class _ObjectArray(DataError):
    """An array of Python objects (pickled data): refused, or skipped in an .npz file."""


_MAX_HEADER_BYTES = 10_000  # NumPy's own limit on an .npy header without allow_pickle
# Zip compression methods NumPy writes (np.savez, np.savez_compressed). Others (bzip2, LZMA)
# decompress in one call to any size, so they cannot be bounded while reading; they are refused.
_ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_ZIP_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}
# What a damaged or hostile archive can raise from zipfile, zlib and the struct module.
_ARCHIVE_ERRORS = (
    ValueError,
    OSError,
    EOFError,
    KeyError,
    IndexError,
    OverflowError,
    NotImplementedError,
    RuntimeError,
    UnicodeError,
    struct.error,
    zlib.error,
    zipfile.BadZipFile,
)


# NumPy reads format 3.0 (UTF-8 header) with a function it does not export.
_read_header_any = getattr(
    getattr(np.lib, "_format_impl", None), "_read_array_header", None
)


def _whose(what: str | None) -> str:
    return f"{what}'s" if what else "its"


def _header(
    stream: BinaryIO, shown: str, what: str | None
) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Read an .npy header from ``stream``: (shape, fortran_order, dtype), checked for size.

    Raises
    ------
    DataError
        For a malformed header, an object dtype (pickled data), or a claimed size beyond
        :data:`~gmm_gui.io.files.MAX_ARRAY_BYTES` or the memory available.
    """
    try:
        version = npformat.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = npformat.read_array_header_1_0(
                stream, max_header_size=_MAX_HEADER_BYTES
            )
        elif version == (2, 0):
            shape, fortran, dtype = npformat.read_array_header_2_0(
                stream, max_header_size=_MAX_HEADER_BYTES
            )
        elif version == (3, 0) and _read_header_any is not None:  # UTF-8 field names
            shape, fortran, dtype = _read_header_any(
                stream, version, max_header_size=_MAX_HEADER_BYTES
            )
        else:
            major, minor = version
            raise DataError(f"{shown}: not a valid .npy file (unknown format version "
                            f"{major}.{minor})")
    except DataError:
        raise
    except _ARCHIVE_ERRORS as exc:
        raise DataError(f"{shown}: not a valid .npy file ({exc})") from None
    if dtype.hasobject:
        subject = f"{what} " if what else ""
        raise _ObjectArray(f"{shown}: {subject}{_PICKLE}; save a numeric array instead")
    if any(n < 0 for n in shape):
        raise DataError(f"{shown}: not a valid .npy file (a negative dimension in {shape})")
    claimed = math.prod(shape) * dtype.itemsize
    check_expansion(
        claimed,
        shown,
        f"{_whose(what)} header claims an array of shape {shape} {dtype} "
        f"({describe_size(claimed)})",
        DataError,
    )
    return shape, fortran, dtype


def load_npy(raw: bytes | bytearray, shown: str, what: str | None = None) -> np.ndarray:
    """The array of the ``.npy`` file whose bytes are ``raw``; ``shown`` names it in messages.

    The header is checked first: an object array is refused without unpickling, and a claimed
    size beyond the limits of :mod:`gmm_gui.io.files` or beyond the bytes present is refused
    before any memory is set aside for it.

    Parameters
    ----------
    raw : bytes or bytearray
        The whole ``.npy`` content. The array returned is a view on it (no copy is made).
    shown : str
        The file, for messages.
    what : str, optional
        The array, for messages (``"array 'X'"`` for an ``.npz`` member).
    """
    stream = io.BytesIO(bytes(memoryview(raw)[: _MAX_HEADER_BYTES + 64]))  # the header only
    shape, fortran, dtype = _header(stream, shown, what)
    offset = stream.tell()
    count = math.prod(shape)
    claimed = count * dtype.itemsize
    present = len(raw) - offset
    if present < claimed:
        raise DataError(
            f"{shown}: is truncated: {_whose(what)} header claims "
            f"{describe_size(claimed)} of data "
            f"(shape {shape} {dtype}) but the file holds {describe_size(max(present, 0))}"
        )
    try:
        # A view on the bytes already in memory, as np.load would read them, without a copy.
        flat = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
        return flat.reshape(shape[::-1]).transpose() if fortran else flat.reshape(shape)
    except _ARCHIVE_ERRORS as exc:
        raise DataError(f"{shown}: not a valid .npy file ({exc})") from None


def load_npz(raw: bytes, shown: str, array: str | None) -> tuple[np.ndarray, str]:
    """The array named ``array`` (default: the first numeric one) of an ``.npz`` file; its name.

    Each member is checked before it is expanded: its compression method (stored or deflated,
    as NumPy writes them), the size the archive declares for it and the size its ``.npy``
    header claims, against the limits of :mod:`gmm_gui.io.files`; while it is expanded, no
    more than the declared size is accepted.

    Raises
    ------
    DataError
        A damaged archive, an unknown array name, no numeric array, an object array asked for
        by name, a member too large or compressed in another way.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except _ARCHIVE_ERRORS as exc:
        raise DataError(f"{shown}: not a valid .npz file ({exc})") from None
    with archive:
        members = archive.infolist()
        # NumPy's names: a member "x.npy" is the array "x"; other members keep their names.
        names = [m.filename[:-4] if m.filename.endswith(".npy") else m.filename for m in members]
        if not members:
            raise DataError(f"{shown}: holds no arrays")
        if array is not None:
            by_name = {m.filename: m for m in members}
            member = by_name.get(array) or by_name.get(f"{array}.npy")
            if member is None:
                raise DataError(f"{shown}: has no array {quoted(array)}; arrays: {_names(names)}")
            what = f"array {quoted(array)}"
            found = _member_array(archive, member, shown, what, skip_objects=False)
            if found is None:
                raise DataError(f"{shown}: member {quoted(array)} is not a NumPy array")
            return found, array
        for member, name in zip(members, names, strict=True):
            what = f"array {quoted(name)}"
            candidate = _member_array(archive, member, shown, what, skip_objects=True)
            if candidate is None:  # an object array (never unpickled) or not an array: skipped
                continue
            if candidate.dtype.kind in "biuf" or candidate.dtype.names:
                return candidate, name
        raise DataError(f"{shown}: holds no numeric array; arrays: {_names(names)}")


def _member_array(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, shown: str, what: str, *,
    skip_objects: bool
) -> np.ndarray | None:
    """One member as an array; None if it is not an .npy member (or, if asked, holds objects)."""
    if member.compress_type not in _ZIP_METHODS:
        method = _ZIP_METHOD_NAMES.get(member.compress_type, f"method {member.compress_type}")
        raise DataError(
            f"{shown}: {what} is compressed with {method}; gmm-gui reads .npz members that are "
            "stored or deflated, as NumPy writes them"
        )
    if member.flag_bits & 0x1:
        raise DataError(f"{shown}: {what} is encrypted")
    declared = member.file_size
    ratio = f", {declared / member.compress_size:.0f} times" if member.compress_size else ""
    check_expansion(
        declared,
        shown,
        f"{what} would expand to {describe_size(declared)} from "
        f"{describe_size(member.compress_size)}{ratio}",
        DataError,
    )
    try:
        with archive.open(member) as stream:
            if stream.read(len(npformat.MAGIC_PREFIX)) != npformat.MAGIC_PREFIX:
                return None
        with archive.open(member) as stream:
            try:
                _header(stream, shown, what)
            except _ObjectArray:
                if skip_objects:
                    return None
                raise
        with archive.open(member) as stream:
            data = _read_bounded(stream, declared, shown, what)
    except DataError:
        raise
    except _ARCHIVE_ERRORS as exc:
        raise DataError(f"{shown}: not a valid .npz file ({what}: {exc})") from None
    return load_npy(data, shown, what)


def _read_bounded(stream: BinaryIO, declared: int, shown: str, what: str) -> bytearray:
    """Expand a member in chunks into a buffer of its declared size; refuse it if it grows."""
    buffer = bytearray(declared)
    view = memoryview(buffer)
    filled = 0
    try:
        while filled < declared:
            n = stream.readinto(view[filled : filled + CHUNK_BYTES])
            if not n:
                break
            filled += n
    finally:
        view.release()
    if stream.read(1):
        raise DataError(
            f"{shown}: {what} expands beyond the {describe_size(declared)} the archive "
            "declares for it"
        )
    del buffer[filled:]
    return buffer


def columns_from_array(arr: np.ndarray, shown: str, what: str) -> Columns:
    """The columns of an array: a 1-D or 2-D numeric array, or a 1-D structured one.

    Parameters
    ----------
    arr : array of shape (n_rows,) or (n_rows, n_columns)
        Numbers (``column 1``, ``column 2``, ...), or records whose numeric fields become
        numeric columns and whose string fields become label columns.
    shown : str
        The file, for messages.
    what : str
        What the array is, for messages and the description (``"NumPy .npy array"``).
    """
    numeric: dict[str, NumericColumn] = {}
    labels: dict[str, np.ndarray] = {}
    if arr.dtype.names:  # a structured array: its fields are named columns
        if arr.ndim != 1:
            raise DataError(f"{shown}: {what} has shape {arr.shape}; expected one row per point")
        for name in arr.dtype.names:
            column = arr[name]
            if column.ndim != 1:
                continue
            if column.dtype.kind in "biuf":
                numeric[name] = NumericColumn(column.astype(np.float64))
            elif column.dtype.kind in "US":
                labels[name] = read_only(column.astype(str))
        n_rows = arr.shape[0]
    else:
        if arr.dtype.kind not in "biuf":
            raise DataError(f"{shown}: {what} holds {arr.dtype} values, not real numbers")
        if arr.ndim == 1:
            arr = arr[:, np.newaxis]
        if arr.ndim != 2:
            raise DataError(f"{shown}: {what} has shape {arr.shape}; expected 1-D or 2-D")
        n_rows = arr.shape[0]
        data = np.asarray(arr, dtype=np.float64)
        for j in range(data.shape[1]):
            numeric[f"column {j + 1}"] = NumericColumn(np.ascontiguousarray(data[:, j]))
    if n_rows == 0:
        raise DataError(f"{shown}: {what} holds no rows (shape {arr.shape})")
    if not numeric:
        raise DataError(f"{shown}: {what} has no numeric column")
    return Columns(n_rows, numeric, labels, what)
