"""Reading a user's data file into a :class:`Dataset`: the entry points and column choice.

A text table (:mod:`gmm_gui.io.text`), an ``.npy`` or an ``.npz`` file
(:mod:`gmm_gui.io.numpy_files`, recognised by content, always ``allow_pickle=False``) is read into
a :class:`Table` holding every column; :meth:`Table.select` chooses columns and drops the rows
that cannot be used.

Which columns are numbers
-------------------------
A column is *numeric* when most of its non-missing cells are numbers; a cell that is text in a
numeric column (a typo such as ``7O``) makes its row unusable, and the row is dropped and reported
if that column is chosen. Every other column is a *label* column, kept as text aside the data.
When a file quotes some cells and not others (R, Python's ``QUOTE_NONNUMERIC``), the quotes carry
the type: a quoted column is a label column even if its values look like numbers, such as
``"001"`` in Galton's ``family`` column. When every cell is quoted, the quotes say nothing and the
content decides.

Rows and their index
--------------------
A data row is a line after the header that is neither blank nor a comment. Rows are numbered from
0 in file order; :attr:`Dataset.row_index` gives that number for each kept row (for an R export it
is the row name minus one), so results can be joined back to the file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import os
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gmm_gui.io.cells import MISSING_VALUES
from gmm_gui.io.columns import Columns, NumericColumn, read_only
from gmm_gui.io.columns import names as _names
from gmm_gui.io.columns import rows as _rows
from gmm_gui.io.errors import ColumnChoiceRequired, DataError, quoted, shorten
from gmm_gui.io.files import (
    MAX_DATA_FILE_BYTES,
    check_expansion,
    describe_size,
    open_regular,
    read_chunks,
)
from gmm_gui.io.numpy_files import NPY_MAGIC, ZIP_MAGICS, columns_from_array, load_npy, load_npz
from gmm_gui.io.text import decode, parse_text

__all__ = [
    "MISSING_VALUES",
    "Dataset",
    "Table",
    "TableInfo",
    "inspect_table",
    "load_dataset",
    "read_table",
]


@dataclass(frozen=True)
class TableInfo:
    """What a file offers, before any column is chosen (for a column picker).

    Attributes
    ----------
    path : str
        The file, as given.
    numeric_columns : tuple of str
        Names of the columns that can be fitted, in file order.
    label_columns : tuple of str
        Names of the text columns (species, sex, ...), in file order.
    n_rows : int
        Number of data rows in the file, before any is dropped.
    """

    path: str
    numeric_columns: tuple[str, ...]
    label_columns: tuple[str, ...]
    n_rows: int


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (it holds arrays)
class Dataset:
    """The data chosen from a file, ready to fit.

    Attributes
    ----------
    values : array of shape (n_samples, n_features)
        The chosen columns as float64, rows with a missing, infinite or non-numeric value in any
        chosen column removed. Read-only.
    columns : tuple of str
        Names of the chosen columns; ``len(columns) == n_features``.
    all_numeric_columns : tuple of str
        Every numeric column of the file (what a column picker offers).
    labels : mapping of str to array of shape (n_samples,)
        Each label (text) column of the file, as strings, aligned with ``values``; a missing
        label is ``""``.
    row_index : array of shape (n_samples,)
        0-based position of each kept row among the file's data rows (header, blank and comment
        lines not counted). Read-only.
    n_rows : int
        Number of data rows in the file.
    n_dropped : int
        Number of rows removed (``n_rows - n_samples``).
    drop_reasons : tuple of str
        Sentences saying why rows were removed, e.g.
        ``"3 rows with a missing value (NA or empty) in height"``. A row may be counted under
        several reasons; ``n_dropped`` counts it once.
    path : str
        The file, as given.
    notes : tuple of str
        Sentences about doubtful readings of the chosen columns, for the user (the command
        line's summary prints them; the window's status line shows them), e.g.
        ``"column weight: 3 values such as '1,250' were read with a decimal comma (1.25, first
        on line 2); if the comma separates thousands (1250), convert the file"``.
    """

    values: np.ndarray
    columns: tuple[str, ...]
    all_numeric_columns: tuple[str, ...]
    labels: Mapping[str, np.ndarray]
    row_index: np.ndarray
    n_rows: int
    n_dropped: int
    drop_reasons: tuple[str, ...]
    path: str
    notes: tuple[str, ...] = ()

    @property
    def n_samples(self) -> int:
        """Number of usable rows."""
        return int(self.values.shape[0])

    @property
    def n_features(self) -> int:
        """Number of chosen columns (1 or 2 for the window, any for the command line)."""
        return int(self.values.shape[1])

    @property
    def name(self) -> str:
        """The file name without its folder, for titles."""
        return Path(self.path).name


@dataclass(frozen=True, eq=False)
class Table:
    """A file read in full: every numeric and label column, nothing chosen or dropped yet.

    Use :func:`read_table` to make one, :meth:`info` to list what it offers and :meth:`select`
    to choose columns, so a window that shows a column picker reads the file only once.
    """

    path: str
    n_rows: int
    numeric_columns: tuple[str, ...]
    label_columns: tuple[str, ...]
    _numeric: Mapping[str, NumericColumn] = field(repr=False)
    _labels: Mapping[str, np.ndarray] = field(repr=False)
    description: str = ""  # e.g. "comma-separated text with a header"
    empty_columns: tuple[str, ...] = ()  # columns where every cell is missing

    def info(self) -> TableInfo:
        """Return the columns the file offers and its number of rows."""
        return TableInfo(self.path, self.numeric_columns, self.label_columns, self.n_rows)

    def resolve_columns(self, columns: Sequence[str] | None) -> tuple[str, ...]:
        """Check a choice of columns against the file and return the names it refers to.

        Parameters
        ----------
        columns : sequence of str or None
            Column names. A number ``j`` also refers to ``"column j"`` (the names a file without
            a header gets). ``None`` chooses all numeric columns when there are one or two.

        Raises
        ------
        ColumnChoiceRequired
            If ``columns`` is None and the file has more than two numeric columns.
        DataError
            If a name is unknown, not numeric, repeated, or no column is chosen.
        """
        known = self.numeric_columns
        if columns is None:
            if len(known) > 2:
                raise ColumnChoiceRequired(self.path, known)
            return known
        if isinstance(columns, str):
            raise TypeError("columns must be a sequence of names, not one string")
        if len(columns) == 0:
            raise DataError(f"{self.path}: no column chosen; numeric columns: {_names(known)}")
        chosen: list[str] = []
        for name in columns:
            resolved = self._resolve_one(str(name))
            if resolved in chosen:
                raise DataError(f"{self.path}: column {quoted(resolved)} is chosen twice")
            chosen.append(resolved)
        return tuple(chosen)

    def _resolve_one(self, name: str) -> str:
        known = self.numeric_columns
        if name in known:
            return name
        stripped = name.strip()
        if stripped in known:
            return stripped
        if stripped.isdigit() and f"column {int(stripped)}" in known:
            return f"column {int(stripped)}"
        if stripped in self.empty_columns:
            raise DataError(
                f"{self.path}: column {quoted(stripped)} has no values (every cell is missing); "
                f"numeric columns: {_names(known)}"
            )
        if stripped in self.label_columns:
            raise DataError(
                f"{self.path}: column {quoted(stripped)} holds text, not numbers; "
                f"numeric columns: {_names(known)}"
            )
        folded = [k for k in known if k.casefold() == stripped.casefold()]
        hint = f" (did you mean {quoted(folded[0])}?)" if folded else ""
        raise DataError(
            f"{self.path}: no numeric column {quoted(stripped)}{hint}; numeric columns: "
            f"{_names(known)}"
        )

    def select(self, columns: Sequence[str] | None = None) -> Dataset:
        """Choose columns and drop the rows that cannot be used.

        Parameters
        ----------
        columns : sequence of str or None
            See :meth:`resolve_columns`.

        Returns
        -------
        Dataset

        Raises
        ------
        ColumnChoiceRequired, DataError
            See :meth:`resolve_columns`; also ``DataError`` when fewer than 2 rows are usable.
        """
        chosen = self.resolve_columns(columns)
        n_rows = self.n_rows
        values = np.empty((n_rows, len(chosen)), dtype=np.float64)
        drop = np.zeros(n_rows, dtype=bool)
        reasons: list[str] = []
        for j, name in enumerate(chosen):
            column = self._numeric[name]
            values[:, j] = column.values
            invalid = column.invalid
            nan = np.isnan(column.values)
            missing = nan if invalid is None else nan & ~invalid
            infinite = np.isinf(column.values)
            shown_name = shorten(name)
            if (count := int(missing.sum())) > 0:
                reasons.append(f"{_rows(count)} with a missing value (NA or empty) in {shown_name}")
            if (count := int(infinite.sum())) > 0:
                reasons.append(f"{_rows(count)} with an infinite value in {shown_name}")
            if invalid is not None and (count := int(invalid.sum())) > 0:
                line, text = column.first_invalid or (0, "")
                reasons.append(
                    f"{_rows(count)} with text instead of a number in {shown_name} "
                    f"(first on line {line}: {quoted(text)})"
                )
            drop |= nan | infinite
        keep = ~drop
        n_kept = int(keep.sum())
        if n_kept < 2:
            why = f" ({'; '.join(reasons)})" if reasons else ""
            raise DataError(
                f"{self.path}: fewer than 2 usable rows in {_names(chosen)}: "
                f"{n_kept} of {n_rows}{why}"
            )
        if n_kept == n_rows:
            kept_values = values
            row_index = np.arange(n_rows, dtype=np.int64)
            labels = dict(self._labels)
        else:
            kept_values = values[keep]
            row_index = np.flatnonzero(keep).astype(np.int64)
            labels = {name: read_only(text[keep]) for name, text in self._labels.items()}
        return Dataset(
            values=read_only(kept_values),
            columns=chosen,
            all_numeric_columns=self.numeric_columns,
            labels=labels,
            row_index=read_only(row_index),
            n_rows=n_rows,
            n_dropped=n_rows - n_kept,
            drop_reasons=tuple(reasons),
            path=self.path,
            notes=tuple(note for name in chosen if (note := self._numeric[name].note)),
        )


def read_table(path: str | Path, *, array: str | None = None) -> Table:
    """Read a whole data file, without choosing columns.

    Parameters
    ----------
    path : str or path-like
        A text table, ``.npy`` or ``.npz`` file (recognised by content, not by name).
    array : str, optional
        For an ``.npz`` file, the name of the array to read; by default the first numeric one.

    Returns
    -------
    Table

    Raises
    ------
    DataError
        One line naming the file and the problem: missing file, empty file, header only, no
        numeric column, binary data, ragged rows (with the line number), pickled objects, ...
    """
    shown = str(path)
    try:
        return _read_table(path, shown, array)
    except MemoryError:
        size = ""
        with contextlib.suppress(OSError, ValueError):
            size = f" ({describe_size(os.stat(path).st_size)})"
        raise DataError(f"{shown}: not enough memory to read this file{size}") from None
    except _LIBRARY_ERRORS as exc:  # what a library can raise on a damaged file, made a sentence
        raise DataError(f"{shown}: cannot be read ({type(exc).__name__}: {exc})") from None


# Not ValueError, yet raised by zipfile, zlib, struct, csv or the decoders on a damaged file.
_LIBRARY_ERRORS = (
    OSError,
    EOFError,
    UnicodeError,
    OverflowError,
    RecursionError,
    struct.error,
    zlib.error,
    zipfile.BadZipFile,
    csv.Error,
)


def _read_table(path: str | Path, shown: str, array: str | None) -> Table:
    raw = _read_data(path, shown)
    if raw.startswith(NPY_MAGIC):
        columns = columns_from_array(load_npy(raw, shown), shown, "NumPy .npy array")
        return _table(columns, shown)
    if raw.startswith(ZIP_MAGICS):
        arr, name = load_npz(raw, shown, array)
        what = f"array {quoted(name)} of a NumPy .npz file"
        return _table(columns_from_array(arr, shown, what), shown)
    if array is not None:
        raise DataError(f"{shown}: is not an .npz file, so it has no array {quoted(array)}")
    return _table(parse_text(decode(raw, shown), shown), shown)


def inspect_table(path: str | Path, *, array: str | None = None) -> TableInfo:
    """List the numeric and label columns of a file without choosing any.

    See :func:`read_table` for the parameters and errors.
    """
    return read_table(path, array=array).info()


def load_dataset(
    path: str | Path, columns: Sequence[str] | None = None, *, array: str | None = None
) -> Dataset:
    """Read a data file and return the chosen numeric columns, unusable rows dropped.

    Parameters
    ----------
    path : str or path-like
        A text table, ``.npy`` or ``.npz`` file.
    columns : sequence of str, optional
        Names of the columns to fit. By default the file's numeric columns if there are one or
        two (one gives 1-D data, two give 2-D data).
    array : str, optional
        For an ``.npz`` file, the array to read (default: the first numeric one).

    Returns
    -------
    Dataset

    Raises
    ------
    ColumnChoiceRequired
        If ``columns`` is not given and the file has more than two numeric columns; it carries
        their names in ``numeric_columns``.
    DataError
        If the file cannot be read or used; the message names the file and the problem.
    """
    return read_table(path, array=array).select(columns)


def _read_data(path: str | Path, shown: str) -> bytes:
    """The bytes of a data file, read in chunks; a text file stops at its first NUL byte.

    Anything but a regular file is refused before it is opened, and so is a file over
    :data:`~gmm_gui.io.files.MAX_DATA_FILE_BYTES` or over the memory share. A file that is not
    ``.npy``, ``.npz`` or UTF-16 text is binary as soon as a NUL byte comes, so a large binary
    (or sparse) file is refused after its first chunk, not read whole.
    """
    limit = MAX_DATA_FILE_BYTES
    with open_regular(path, shown, DataError, max_bytes=limit) as (handle, size):
        chunks = read_chunks(handle, shown, DataError, size=size, max_bytes=limit)
        first = next(chunks, b"")
        text = not first.startswith((NPY_MAGIC, *ZIP_MAGICS, *_UTF16_BOMS))
        if text and b"\x00" in first:
            raise DataError(_binary(shown))
        check_expansion(size, shown, f"is {describe_size(size)}", DataError, limit=limit)
        parts = [first]
        for chunk in chunks:
            if text and b"\x00" in chunk:
                raise DataError(_binary(shown))
            parts.append(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _binary(shown: str) -> str:
    return f"{shown}: binary data, not a text table, .npy or .npz file"


def _table(columns: Columns, shown: str) -> Table:
    return Table(
        shown,
        columns.n_rows,
        tuple(columns.numeric),
        tuple(columns.labels),
        columns.numeric,
        columns.labels,
        columns.description,
        columns.empty,
    )
