"""Data files read in chunks of rows, for EM on data larger than memory (``--chunk-rows``).

A reader is re-iterable: calling it starts a pass over the file and yields float64 arrays of
shape (m, n_features), ``m <= chunk_rows``, in file order (what
:func:`gmm_gui.model.chunked.fit_chunked` takes as ``chunks_factory``). It never holds more than
one chunk of rows:

* :class:`NpyChunks` maps an ``.npy`` file (``np.load(mmap_mode="r", allow_pickle=False)``) and
  gives one slice of rows at a time (float64 rows in C order as a read-only view of the
  mapping, other types converted); the pages of rows already used are handed back to the
  system (``madvise(MADV_DONTNEED)``: they are read again from the file if touched), so the
  process's resident memory does not grow with the file either.
* :class:`CsvChunks` reads a numeric text table line by line (its layout, header and columns
  sniffed from the first lines as :func:`gmm_gui.io.read_table` does) and parses each chunk of
  lines with NumPy's C reader. It reads tables of numbers only: a missing value or a text cell
  in a chosen column is an error naming its line (read such a file without ``--chunk-rows``).

``max_rows_held`` records the most rows a reader held at once (what the tests check).
"""

from __future__ import annotations

import io
import mmap
import os
from collections.abc import Iterator, Sequence

import numpy as np

from gmm_gui.io.errors import DataError

__all__ = ["CsvChunks", "NpyChunks", "open_chunks"]


def _check_chunk_rows(chunk_rows: int) -> int:
    rows = int(chunk_rows)
    if rows < 1:
        raise ValueError(f"chunk_rows must be >= 1; got {chunk_rows}.")
    return rows


def _pick(names: Sequence[str], columns: Sequence[str] | None, shown: str) -> list[int]:
    """Indices of the chosen columns (all when one or two and none chosen)."""
    listed = ", ".join(names)
    if columns is None:
        if len(names) > 2:
            raise DataError(
                f"{shown}: {len(names)} numeric columns ({listed}); choose one or two with "
                "--columns A,B"
            )
        return list(range(len(names)))
    picked = []
    for name in columns:
        stripped = name.strip()
        if stripped not in names:
            raise DataError(f"{shown}: no numeric column '{stripped}'; numeric columns: {listed}")
        picked.append(list(names).index(stripped))
    return picked


class NpyChunks:
    """An ``.npy`` file, memory-mapped and read by slices of rows.

    Parameters
    ----------
    path : str or os.PathLike
        A 1-D or 2-D array of real numbers (columns ``column 1``, ``column 2``, ...).
    chunk_rows : int
    columns : sequence of str, optional
        Columns to keep (by name); default all when one or two.

    Attributes
    ----------
    n_samples, n_features : int
    columns : tuple of str
        The names of the chosen columns.
    max_rows_held : int
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        chunk_rows: int,
        columns: Sequence[str] | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.chunk_rows = _check_chunk_rows(chunk_rows)
        arr = self._open()
        if arr.dtype.names or arr.dtype.kind not in "biuf" or arr.ndim not in (1, 2):
            raise DataError(
                f"{self.path}: a chunked read needs a 1-D or 2-D array of real numbers; this "
                f"one holds {arr.dtype} of shape {arr.shape}"
            )
        self.n_samples = int(arr.shape[0])
        width = 1 if arr.ndim == 1 else int(arr.shape[1])
        names = [f"column {j + 1}" for j in range(width)]
        self._index = _pick(names, columns, self.path)
        self.columns = tuple(names[j] for j in self._index)
        self.n_features = len(self._index)
        self.max_rows_held = 0
        del arr

    def _open(self) -> np.ndarray:
        try:
            return np.load(self.path, mmap_mode="r", allow_pickle=False)
        except ValueError as exc:
            raise DataError(f"{self.path}: not a readable .npy array ({exc})") from None

    def __call__(self) -> Iterator[np.ndarray]:
        """One pass: the chosen columns of ``chunk_rows`` rows at a time, as float64."""
        arr = self._open()
        release = _page_releaser(arr)
        whole = arr.ndim == 2 and self._index == list(range(arr.shape[1]))
        # float64 rows in C order are used where they are mapped (no copy, read-only); the
        # pages of a chunk are given back when the next one is asked for
        in_place = whole and arr.dtype == np.float64 and arr.flags.c_contiguous
        try:
            for start in range(0, self.n_samples, self.chunk_rows):
                release(start)
                stop = min(start + self.chunk_rows, self.n_samples)
                rows = arr[start:stop]
                if arr.ndim == 1:
                    chunk = np.array(rows, dtype=np.float64, order="C")[:, None]
                elif in_place:
                    chunk = np.asarray(rows).view()
                    chunk.flags.writeable = False
                elif whole:
                    chunk = np.array(rows, dtype=np.float64, order="C")
                else:
                    chunk = np.array(rows[:, self._index], dtype=np.float64, order="C")
                self.max_rows_held = max(self.max_rows_held, chunk.shape[0])
                yield chunk
            release(self.n_samples)
        finally:
            del arr


def _page_releaser(arr: np.ndarray):
    """``release(stop)``: give back the mapped pages of the rows before ``stop`` (if possible)."""
    mm = getattr(arr, "_mmap", None)
    advice = getattr(mmap, "MADV_DONTNEED", None)
    if mm is None or advice is None or not arr.flags.c_contiguous:
        return lambda stop: None
    page = mmap.PAGESIZE
    offset = int(getattr(arr, "offset", 0))
    base = offset - offset // mmap.ALLOCATIONGRANULARITY * mmap.ALLOCATIONGRANULARITY
    row_bytes = arr.itemsize * (1 if arr.ndim == 1 else arr.shape[1])
    done = [0]

    def release(stop: int) -> None:
        end = (base + stop * row_bytes) // page * page
        if end > done[0]:
            try:
                mm.madvise(advice, done[0], end - done[0])
            except (OSError, ValueError):
                return
            done[0] = end

    return release


class CsvChunks:
    """A numeric text table read by chunks of lines.

    Parameters
    ----------
    path : str or os.PathLike
    chunk_rows : int
    columns : sequence of str, optional
        Columns to keep (by name as in the header, or ``column 1``, ... without one); default
        all numeric columns when one or two.

    Attributes
    ----------
    n_samples : int or None
        Known after the first full pass.
    n_features : int
    columns : tuple of str
    max_rows_held : int
        The most data lines held at once (at most ``chunk_rows``).
    """

    _HEAD_BYTES = 1 << 16

    def __init__(
        self,
        path: str | os.PathLike[str],
        chunk_rows: int,
        columns: Sequence[str] | None = None,
    ) -> None:
        from gmm_gui.io.text import _column_names, _layout, decode, parse_text

        self.path = os.fspath(path)
        self.chunk_rows = _check_chunk_rows(chunk_rows)
        with open(self.path, "rb") as f:
            raw = f.read(self._HEAD_BYTES)
            complete = not f.read(1)
        text = decode(raw, self.path)
        if not complete:
            text = text[: text.rfind("\n") + 1] if "\n" in text else text
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        layout = _layout(text, self.path)
        if layout.row_names or layout.decimal_comma or layout.quoted_columns:
            raise DataError(
                f"{self.path}: a chunked read needs a plain table of numbers (no row names, "
                "decimal commas or quoted columns); read it without --chunk-rows"
            )
        head = parse_text(text, self.path)
        numeric = list(head.numeric)
        all_names = _column_names(layout)
        picked = _pick(numeric, columns, self.path)
        self.columns = tuple(numeric[j] for j in picked)
        self._fields = [all_names.index(name) for name in self.columns]
        self.n_features = len(self._fields)
        self._delimiter = layout.delimiter
        self._skip = layout.header_line  # physical lines up to and including the header
        self.n_samples: int | None = None
        self.max_rows_held = 0

    def __call__(self) -> Iterator[np.ndarray]:
        """One pass: ``chunk_rows`` data lines at a time, parsed into float64 columns."""
        lines: list[str] = []
        first_line = 0
        count = 0
        with open(self.path, encoding="utf-8-sig", newline=None) as f:
            for number, line in enumerate(f, start=1):
                if number <= self._skip:
                    continue
                stripped = line.strip()
                if not stripped or stripped.startswith("#"):
                    continue
                if not lines:
                    first_line = number
                lines.append(line)
                if len(lines) == self.chunk_rows:
                    self.max_rows_held = max(self.max_rows_held, len(lines))
                    yield self._parse(lines, first_line)
                    count += len(lines)
                    lines = []
        if lines:
            self.max_rows_held = max(self.max_rows_held, len(lines))
            yield self._parse(lines, first_line)
            count += len(lines)
        self.n_samples = count

    def _parse(self, lines: list[str], first_line: int) -> np.ndarray:
        try:
            table = np.loadtxt(
                io.StringIO("".join(lines)),
                dtype=np.float64,
                delimiter=self._delimiter,
                comments=None,
                ndmin=2,
                usecols=self._fields,
            )
        except ValueError as exc:
            raise DataError(
                f"{self.path}: lines {first_line}-{first_line + len(lines) - 1}: not all "
                f"numbers ({' '.join(str(exc).split())}); a chunked read needs numbers in "
                "every chosen cell (read the file without --chunk-rows)"
            ) from None
        if not np.isfinite(table).all():
            raise DataError(
                f"{self.path}: lines {first_line}-{first_line + len(lines) - 1} hold a missing "
                "or infinite value; a chunked read needs numbers in every chosen cell"
            )
        return table


def open_chunks(
    path: str | os.PathLike[str], chunk_rows: int, columns: Sequence[str] | None = None
) -> NpyChunks | CsvChunks:
    """The chunked reader for a file: ``.npy`` by its magic bytes, else a text table.

    Parameters
    ----------
    path : str or os.PathLike
    chunk_rows : int
    columns : sequence of str, optional

    Returns
    -------
    NpyChunks or CsvChunks
    """
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic == b"\x93NUMPY":
        return NpyChunks(path, chunk_rows, columns)
    return CsvChunks(path, chunk_rows, columns)
