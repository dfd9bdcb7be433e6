"""Chunked readers (gmm_gui.io.chunks) give the rows read_table gives, one chunk at a time."""

from __future__ import annotations

import numpy as np
import pytest

from gmm_gui.io import read_table
from gmm_gui.io.chunks import CsvChunks, NpyChunks, open_chunks
from gmm_gui.io.errors import DataError


def table(n=1003, seed=0):
    rng = np.random.default_rng(seed)
    return np.c_[rng.normal(size=n), rng.normal(size=n) * 3 + 1, rng.normal(size=n)]


def write_csv(path, X, header="a,b,c"):
    lines = [header] if header else []
    lines += [",".join(repr(float(v)) for v in row) for row in X]
    path.write_text("\n".join(lines) + "\n")


def test_csv_is_never_held_whole_and_gives_read_tables_rows(tmp_path):
    X = table()
    path = tmp_path / "big.csv"
    write_csv(path, X)
    reader = CsvChunks(path, 100, columns=["a", "c"])
    assert reader.columns == ("a", "c") and reader.n_features == 2
    for _ in range(2):  # re-iterable
        chunks = list(reader())
        assert [c.shape[0] for c in chunks] == [100] * 10 + [3]
        assert reader.max_rows_held == 100 < X.shape[0]
        assert reader.n_samples == 1003
        whole = read_table(path).select(["a", "c"]).values
        np.testing.assert_array_equal(np.concatenate(chunks), whole)


def test_csv_without_header_whitespace_separated(tmp_path):
    X = table(250)[:, :2]
    path = tmp_path / "plain.txt"
    path.write_text("\n".join(f"{float(a)!r}   {float(b)!r}" for a, b in X) + "\n")
    reader = open_chunks(path, 64)
    assert isinstance(reader, CsvChunks) and reader.columns == ("column 1", "column 2")
    np.testing.assert_array_equal(np.concatenate(list(reader())), X)
    assert reader.max_rows_held == 64


def test_csv_missing_value_is_refused_with_its_lines(tmp_path):
    path = tmp_path / "gap.csv"
    write_csv(path, table(300)[:, :2], header="a,b")
    lines = path.read_text().splitlines()
    lines[150] = "1.0,"
    path.write_text("\n".join(lines) + "\n")
    reader = CsvChunks(path, 100)
    with pytest.raises(DataError, match="lines 102-201"):
        list(reader())


def test_csv_with_many_columns_asks_for_a_choice(tmp_path):
    path = tmp_path / "three.csv"
    write_csv(path, table(20))
    with pytest.raises(DataError, match="choose one or two with --columns"):
        CsvChunks(path, 5)
    with pytest.raises(DataError, match="no numeric column 'z'"):
        CsvChunks(path, 5, columns=["z"])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32])
def test_npy_chunks_are_the_array_by_rows(tmp_path, dtype):
    X = (table() * 100).astype(dtype)
    path = tmp_path / "x.npy"
    np.save(path, X)
    reader = open_chunks(path, 100, columns=["column 3", "column 1"])
    assert isinstance(reader, NpyChunks) and reader.n_samples == 1003
    chunks = list(reader())
    assert reader.max_rows_held == 100
    assert all(c.dtype == np.float64 and c.flags.c_contiguous for c in chunks)
    np.testing.assert_array_equal(np.concatenate(chunks), X[:, [2, 0]].astype(np.float64))


def test_npy_one_dimensional_and_refusals(tmp_path):
    path = tmp_path / "v.npy"
    np.save(path, np.arange(10.0))
    np.testing.assert_array_equal(np.concatenate(list(NpyChunks(path, 3)())),
                                  np.arange(10.0)[:, None])
    bad = tmp_path / "obj.npy"
    np.save(bad, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError):
        NpyChunks(bad, 3)
    with pytest.raises(ValueError, match="chunk_rows"):
        NpyChunks(path, 0)
