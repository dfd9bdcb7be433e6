"""NumPy ``.npy`` and ``.npz`` files, always loaded with ``allow_pickle=False``.

A user's file is data and is never unpickled. An ``.npz`` file's first numeric array is read
unless another is named; a structured array's fields become named columns.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

import numpy as np

from gmm_gui.io.columns import Columns, NumericColumn, read_only
from gmm_gui.io.columns import names as _names
from gmm_gui.io.errors import DataError

__all__ = ["NPY_MAGIC", "ZIP_MAGICS", "columns_from_array", "load_npy", "load_npz"]

#: The first bytes of a ``.npy`` file.
NPY_MAGIC = b"\x93NUMPY"
#: The first bytes of a zip (so ``.npz``) file: a local file header or an empty archive.
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


def load_npy(raw: bytes, shown: str) -> np.ndarray:
    """The array of the ``.npy`` file whose bytes are ``raw``; ``shown`` names it in messages."""
    try:
        return np.load(io.BytesIO(raw), allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(
                f"{shown}: holds Python objects, which gmm-gui does not unpickle; "
                "save a numeric array instead"
            ) from None
        raise DataError(f"{shown}: not a valid .npy file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{shown}: not a valid .npy file ({exc})") from None


def load_npz(raw: bytes, shown: str, array: str | None) -> tuple[np.ndarray, str]:
    """The array named ``array`` (default: the first numeric one) of an ``.npz`` file; its name."""
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            names = list(archive.files)
            if not names:
                raise DataError(f"{shown}: holds no arrays")
            if array is not None:
                if array not in names:
                    raise DataError(f"{shown}: has no array {array!r}; arrays: {_names(names)}")
                return _npz_member(archive, array, shown), array
            for name in names:
                try:
                    candidate = archive[name]
                except ValueError:  # an object array: never unpickled, skipped
                    continue
                if candidate.dtype.kind in "biuf" or candidate.dtype.names:
                    return candidate, name
            raise DataError(f"{shown}: holds no numeric array; arrays: {_names(names)}")
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise DataError(f"{shown}: not a valid .npz file ({exc})") from None


def _npz_member(archive: Mapping[str, np.ndarray], name: str, shown: str) -> np.ndarray:
    try:
        return archive[name]
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(
                f"{shown}: array {name!r} holds Python objects, which gmm-gui does not unpickle"
            ) from None
        raise


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
