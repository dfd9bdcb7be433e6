"""Reading users' data files: real R exports and small files covering each layout and refusal."""

from __future__ import annotations

import csv
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmm_gui.io import (
    ColumnChoiceRequired,
    DataError,
    Dataset,
    inspect_table,
    load_dataset,
    read_table,
)


def _r_csv(path):
    """Independent oracle for the R exports: the csv module, row names dropped."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0][1:], [row[1:] for row in rows[1:]]


def _column(rows, header, name):
    j = header.index(name)
    return np.array([np.nan if row[j] == "NA" else float(row[j]) for row in rows])


# ------------------------------------------------------------------------- real R exports


def test_faithful_is_2d_with_all_rows(datasets_dir):
    path = datasets_dir / "faithful.csv"
    header, rows = _r_csv(path)
    data = load_dataset(path)
    assert isinstance(data, Dataset)
    assert data.columns == ("eruptions", "waiting")
    assert data.values.shape == (len(rows), 2)
    assert data.values.dtype == np.float64
    np.testing.assert_array_equal(data.values[:, 0], _column(rows, header, "eruptions"))
    np.testing.assert_array_equal(data.values[:, 1], _column(rows, header, "waiting"))
    np.testing.assert_array_equal(data.row_index, np.arange(len(rows)))
    assert data.n_dropped == 0 and data.drop_reasons == ()
    assert not data.values.flags.writeable


def test_galaxies_is_1d(datasets_dir):
    data = load_dataset(datasets_dir / "galaxies.csv")
    assert data.columns == ("x",) and data.n_features == 1
    assert data.n_samples == 82


def test_more_than_two_numeric_columns_needs_a_choice(datasets_dir):
    with pytest.raises(ColumnChoiceRequired) as info:
        load_dataset(datasets_dir / "iris.csv")
    assert info.value.numeric_columns == (
        "Sepal.Length", "Sepal.Width", "Petal.Length", "Petal.Width"
    )
    assert isinstance(info.value, DataError)
    assert "iris.csv" in str(info.value)


def test_iris_species_kept_as_labels(datasets_dir):
    path = datasets_dir / "iris.csv"
    header, rows = _r_csv(path)
    data = load_dataset(path, ["Petal.Length", "Petal.Width"])
    assert data.columns == ("Petal.Length", "Petal.Width")
    species = [row[header.index("Species")] for row in rows]
    np.testing.assert_array_equal(data.labels["Species"], species)
    assert data.all_numeric_columns[2:] == ("Petal.Length", "Petal.Width")


def test_davis_missing_values_are_dropped_and_counted(datasets_dir):
    path = datasets_dir / "Davis.csv"
    header, rows = _r_csv(path)
    repht = _column(rows, header, "repht")
    data = load_dataset(path, ["height", "repht"])
    n_missing = int(np.isnan(repht).sum())
    assert n_missing > 0
    assert data.n_dropped == n_missing
    assert data.drop_reasons == (
        f"{n_missing} rows with a missing value (NA or empty) in repht",
    )
    np.testing.assert_array_equal(data.row_index, np.flatnonzero(~np.isnan(repht)))
    np.testing.assert_array_equal(data.values[:, 1], repht[~np.isnan(repht)])
    sex = np.array([row[header.index("sex")] for row in rows])
    np.testing.assert_array_equal(data.labels["sex"], sex[~np.isnan(repht)])


def test_galton_quoted_family_is_a_label_even_when_it_looks_numeric(datasets_dir):
    info = inspect_table(datasets_dir / "GaltonFamilies.csv")
    assert "family" in info.label_columns and "gender" in info.label_columns
    assert "family" not in info.numeric_columns
    assert info.numeric_columns == (
        "father", "mother", "midparentHeight", "children", "childNum", "childHeight"
    )
    data = load_dataset(datasets_dir / "GaltonFamilies.csv", ["childHeight"])
    assert data.labels["family"][0] == "001"  # leading zeros kept: it is text
    with pytest.raises(DataError, match="'family' holds text, not numbers"):
        load_dataset(datasets_dir / "GaltonFamilies.csv", ["family"])


def test_inspect_table_on_every_dataset_matches_csv_module(datasets_dir):
    for path in sorted(datasets_dir.glob("*.csv")):
        header, rows = _r_csv(path)
        info = inspect_table(path)
        assert info.n_rows == len(rows)
        assert set(info.numeric_columns) | set(info.label_columns) == set(header), path
        for name in info.numeric_columns:
            assert np.isfinite(_column(rows, header, name)).any()


def test_unknown_column_lists_known_ones(datasets_dir):
    with pytest.raises(DataError) as info:
        load_dataset(datasets_dir / "faithful.csv", ["eruption"])
    message = str(info.value)
    assert "faithful.csv" in message and "'eruption'" in message
    assert "eruptions, waiting" in message
    assert "\n" not in message


def test_column_chosen_twice_is_refused(datasets_dir):
    with pytest.raises(DataError, match="chosen twice"):
        load_dataset(datasets_dir / "faithful.csv", ["waiting", "waiting"])


def test_read_table_once_select_many(datasets_dir):
    table = read_table(datasets_dir / "iris.csv")
    a = table.select(["Sepal.Length"])
    b = table.select(["Petal.Width", "Sepal.Length"])
    np.testing.assert_array_equal(a.values[:, 0], b.values[:, 1])
    assert table.info().n_rows == 150


# ------------------------------------------------------------------------- small files


def _write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


EXPECTED = np.array([[1.5, 10.0], [2.5, 20.0], [3.5, 30.0]])


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1.5,10\n2.5,20\n3.5,30\n",
        "a\tb\n1.5\t10\n2.5\t20\n3.5\t30\n",
        "a;b\n1.5;10\n2.5;20\n3.5;30\n",
        "a b\n1.5 10\n2.5   20\n  3.5\t30  \n",
        "a,b\r\n1.5,10\r\n2.5,20\r\n3.5,30\r\n",
        "\ufeffa,b\n1.5,10\n2.5,20\n3.5,30\n",
        '"a","b"\n"1.5","10"\n"2.5","20"\n"3.5","30"\n',  # everything quoted
        "# made by a script\na,b\n\n1.5,10\n2.5,20\n# a comment\n3.5,30",  # no final newline
        "a;b\n1,5;10\n2,5;20\n3,5;30\n",  # decimal commas with semicolons
        "a,b\r1.5,10\r2.5,20\r3.5,30\r",  # old Mac line ends
    ],
    ids=["comma", "tab", "semicolon", "whitespace", "crlf", "bom", "all-quoted",
         "comments-blanks", "decimal-comma", "cr"],
)
def test_layouts_with_header(tmp_path, text):
    data = load_dataset(_write(tmp_path, text))
    assert data.columns == ("a", "b")
    np.testing.assert_array_equal(data.values, EXPECTED)
    np.testing.assert_array_equal(data.row_index, [0, 1, 2])


def test_utf16_with_bom(tmp_path):
    path = _write(tmp_path, "\ufeffa\tb\n1.5\t10\n2.5\t20\n3.5\t30\n".encode("utf-16-le"))
    np.testing.assert_array_equal(load_dataset(path).values, EXPECTED)


@pytest.mark.parametrize(
    "text", ["1.5,10\n2.5,20\n3.5,30\n", "1.5 10\n2.5 20\n3.5 30\n", "1.5\t10\n2.5\t20\n3.5\t30"]
)
def test_no_header_gets_column_names(tmp_path, text):
    data = load_dataset(_write(tmp_path, text))
    assert data.columns == ("column 1", "column 2")
    np.testing.assert_array_equal(data.values, EXPECTED)
    by_number = load_dataset(_write(tmp_path, text), ["2"])
    assert by_number.columns == ("column 2",)


def test_single_column_without_header(tmp_path):
    data = load_dataset(_write(tmp_path, "1\n2\n3\n-4e2\n"))
    assert data.values.shape == (4, 1)
    np.testing.assert_array_equal(data.values[:, 0], [1, 2, 3, -400])


def test_r_write_table_row_names_without_header_field(tmp_path):
    # R's write.table(): space separated, quoted, and the header has no field for row names.
    text = '"x" "y" "g"\n"r1" 1 4 "a b"\n"r2" 2 5 "c"\n"r3" 3 6 NA\n'
    data = load_dataset(_write(tmp_path, text, "d.txt"))
    assert data.columns == ("x", "y")
    np.testing.assert_array_equal(data.values, [[1, 4], [2, 5], [3, 6]])
    np.testing.assert_array_equal(data.labels["g"], ["a b", "c", ""])


def test_r_csv_with_empty_cells_inf_and_labels(tmp_path):
    text = (
        '"","g","x","y"\n'
        '"1","a",1,2\n'
        '"2","b",,3\n'
        '"3","a",3,Inf\n'
        '"4","b",4,-Inf\n'
        '"5","c",5,6\n'
        '"6","c",7,8\n'
    )
    data = load_dataset(_write(tmp_path, text), ["x", "y"])
    np.testing.assert_array_equal(data.row_index, [0, 4, 5])
    assert data.n_dropped == 3 and data.n_rows == 6
    assert data.drop_reasons == (
        "1 row with a missing value (NA or empty) in x",
        "2 rows with an infinite value in y",
    )
    np.testing.assert_array_equal(data.labels["g"], ["a", "c", "c"])
    # Only the chosen columns decide what is dropped.
    assert load_dataset(_write(tmp_path, text), ["y"]).n_dropped == 2


def test_text_in_a_numeric_column_drops_the_row_with_its_line(tmp_path):
    text = "a,b\n1,2\n2,3\n3,7O\n4,5\n5,6\n"
    data = load_dataset(_write(tmp_path, text))
    assert data.columns == ("a", "b")
    assert data.n_dropped == 1
    assert data.drop_reasons == (
        "1 row with text instead of a number in b (first on line 4: '7O')",
    )


def test_mostly_text_column_is_a_label(tmp_path):
    text = "name,x\nann,1\nbob,2\n3,3\n"
    info = inspect_table(_write(tmp_path, text))
    assert info.numeric_columns == ("x",) and info.label_columns == ("name",)


def test_duplicate_header_names_are_made_unique(tmp_path):
    data = load_dataset(_write(tmp_path, "x,x\n1,2\n3,4\n"))
    assert data.columns == ("x", "x (2)")


def test_quoted_delimiters_and_escaped_quotes_in_labels(tmp_path):
    text = 'name,x,y\n"Smith, J.",1,2\n"say ""hi""",3,4\nplain,5,6\n'
    data = load_dataset(_write(tmp_path, text))
    np.testing.assert_array_equal(data.labels["name"], ["Smith, J.", 'say "hi"', "plain"])
    np.testing.assert_array_equal(data.values, [[1, 2], [3, 4], [5, 6]])


def test_latin1_file_is_read(tmp_path):
    path = _write(tmp_path, "Größe;x\n1;2\n3;4\n", encoding="cp1252")
    assert load_dataset(path).columns == ("Größe", "x")


# ------------------------------------------------------------------------- NumPy files


def test_npy_2d_and_1d(tmp_path):
    X = np.arange(12.0).reshape(6, 2)
    np.save(tmp_path / "a.npy", X)
    data = load_dataset(tmp_path / "a.npy")
    np.testing.assert_array_equal(data.values, X)
    assert data.columns == ("column 1", "column 2")
    np.save(tmp_path / "b.npy", np.arange(5, dtype=np.int32))
    one = load_dataset(tmp_path / "b.npy")
    assert one.values.shape == (5, 1) and one.values.dtype == np.float64


def test_npy_recognised_by_content_and_nan_dropped(tmp_path):
    X = np.array([[1.0, 2.0], [np.nan, 1.0], [3.0, 4.0], [5.0, np.inf]])
    with open(tmp_path / "data.bin", "wb") as handle:
        np.save(handle, X)
    data = load_dataset(tmp_path / "data.bin")
    np.testing.assert_array_equal(data.row_index, [0, 2])
    assert data.n_dropped == 2


def test_npy_with_many_columns_needs_a_choice(tmp_path):
    np.save(tmp_path / "wide.npy", np.ones((4, 3)))
    with pytest.raises(ColumnChoiceRequired) as info:
        load_dataset(tmp_path / "wide.npy")
    assert info.value.numeric_columns == ("column 1", "column 2", "column 3")


def test_npz_first_numeric_or_named_array(tmp_path):
    a, b = np.arange(6.0).reshape(3, 2), np.arange(4.0)
    np.savez(tmp_path / "d.npz", names=np.array(["p", "q", "r"]), first=a, second=b)
    np.testing.assert_array_equal(load_dataset(tmp_path / "d.npz").values, a)
    np.testing.assert_array_equal(load_dataset(tmp_path / "d.npz", array="second").values[:, 0], b)
    with pytest.raises(DataError, match="has no array 'third'; arrays: names, first, second"):
        load_dataset(tmp_path / "d.npz", array="third")


def test_npy_structured_array_fields_are_columns(tmp_path):
    arr = np.array([(1.0, 2, "a"), (3.0, 4, "b")], dtype=[("x", "f8"), ("y", "i4"), ("g", "U1")])
    np.save(tmp_path / "s.npy", arr)
    data = load_dataset(tmp_path / "s.npy")
    assert data.columns == ("x", "y")
    np.testing.assert_array_equal(data.labels["g"], ["a", "b"])


class _Boom:
    """Unpickling this would run code: the test fails if it ever happens."""

    def __reduce__(self):
        return (pytest.fail, ("the file was unpickled",))


def test_pickled_npy_is_refused_without_unpickling(tmp_path):
    arr = np.empty(2, dtype=object)
    arr[0], arr[1] = _Boom(), _Boom()
    np.save(tmp_path / "evil.npy", arr, allow_pickle=True)
    with pytest.raises(DataError, match="does not unpickle"):
        load_dataset(tmp_path / "evil.npy")


def test_pickled_npz_member_is_skipped_or_refused(tmp_path):
    arr = np.empty(1, dtype=object)
    arr[0] = _Boom()
    np.savez(tmp_path / "evil.npz", obj=arr, X=np.ones((3, 2)))
    np.testing.assert_array_equal(load_dataset(tmp_path / "evil.npz").values, np.ones((3, 2)))
    with pytest.raises(DataError, match="does not unpickle"):
        load_dataset(tmp_path / "evil.npz", array="obj")


def test_plain_pickle_is_binary_not_unpickled(tmp_path):
    (tmp_path / "x.pkl").write_bytes(pickle.dumps(_Boom()))
    with pytest.raises(DataError):
        load_dataset(tmp_path / "x.pkl")


# ------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\n  \n\n", "empty file"),
        (b"a,b\n", "has a header (line 1) but no data rows"),
        (b'"","x","y"\r\n', "has a header (line 1) but no data rows"),
        (b"name,kind\nann,x\nbob,y\n", "no numeric column"),
        (b"a,b\n1,2\n3,4\n5\n6,7\n", "line 4 has 1 field but the header (line 1) has 2"),
        (b"1,2\n3,4\n5,6,7\n", "line 3 has 3 fields but line 1 has 2"),
        (b"a,b\n1,2\n", "fewer than 2 usable rows in a, b: 1 of 1"),
        (b"a,b\n1,2\nNA,3\n", "fewer than 2 usable rows in a, b: 1 of 2 (1 row with a missing"),
        (bytes(range(256)) * 4, "binary data"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b'a,b\n"1,2\n3,4\n', "line 2: a quote is not closed"),
        (b"PK\x03\x04garbage", "not a valid .npz file"),
        (b"\x93NUMPYgarbage", "not a valid .npy file"),
    ],
    ids=["empty", "blank", "header-only", "r-header-only", "no-numeric", "ragged",
         "ragged-no-header", "one-row", "one-usable", "binary", "png", "open-quote",
         "bad-npz", "bad-npy"],
)
def test_refusals_are_one_line_naming_the_file(tmp_path, content, message):
    path = _write(tmp_path, content, "bad.csv")
    with pytest.raises(DataError) as info:
        load_dataset(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ")
    assert message in text
    assert "\n" not in text


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_dataset(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_dataset(tmp_path)


@pytest.mark.parametrize(
    "text, where",
    [("a,b\n1,2\n3\n", "line 3 has 1 field"), ("a;b\n1;2\n3\n", "line 3 has 1 field")],
)
def test_ragged_short_file_names_the_line_not_a_missing_column(tmp_path, text, where):
    # Two data lines, one ragged: the field counts tie, and the delimiter must still be found.
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match=where):
        load_dataset(path)


def test_ragged_line_number_deep_in_a_big_file(tmp_path):
    lines = ["x,y"] + [f"{i},{i * 2}" for i in range(5000)]
    lines[4321] = "1,2,3"
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(DataError, match="line 4322 has 3 fields"):
        load_dataset(path)


# ------------------------------------------------------------------------- fast path = careful path


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.tuples(
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.floats(allow_nan=False, allow_infinity=False, width=64),
        ),
        min_size=3,
        max_size=40,
    ),
    delimiter=st.sampled_from([",", "\t", ";", " "]),
    header=st.booleans(),
    missing=st.sampled_from(["", "NA", None]),
    label=st.booleans(),
)
def test_any_numeric_table_reads_back_exactly(tmp_path_factory, values, delimiter, header,
                                              missing, label):
    """Written with repr (exact), read back equal, by NumPy's reader or (with a quoted label
    column) the careful cell-by-cell one, NA and empty cells included."""
    lines = ["u" + delimiter + "v" + (delimiter + "g" if label else "")] if header else []
    for i, (a, b) in enumerate(values):
        first = repr(a)
        if missing is not None and i == 1 and not (delimiter == " " and missing == ""):
            first = missing
        lines.append(f"{first}{delimiter}{b!r}" + (f'{delimiter}"g {i}"' if label else ""))
    path = tmp_path_factory.mktemp("h") / "t.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    a = np.array([v[0] for v in values])
    b = np.array([v[1] for v in values])
    if missing is not None and not (delimiter == " " and missing == ""):
        a[1] = np.nan
    keep = np.isfinite(a)
    if np.isnan(a).all():  # a column with no value at all is not offered
        assert load_dataset(path).n_features == 1
        return
    if keep.sum() < 2:
        with pytest.raises(DataError, match="fewer than 2 usable rows"):
            load_dataset(path)
        return
    data = load_dataset(path)
    np.testing.assert_array_equal(data.values, np.column_stack([a[keep], b[keep]]))
    if label:
        (labels,) = data.labels.values()
        np.testing.assert_array_equal(labels, [f"g {i}" for i in np.flatnonzero(keep)])
    np.testing.assert_array_equal(data.row_index, np.flatnonzero(keep))
    assert data.n_dropped == int((~keep).sum())


@pytest.mark.parametrize("text", ["a,b,\n1,2,\n3,4,\n", "a,b\n1,2,\n3,4,\n"])
def test_trailing_delimiter(tmp_path, text):
    data = load_dataset(_write(tmp_path, text))
    assert data.columns == ("a", "b")
    np.testing.assert_array_equal(data.values, [[1, 2], [3, 4]])


def test_all_missing_column_is_not_offered_and_named_when_chosen(tmp_path):
    path = _write(tmp_path, "a,b,c\n1,NA,2\n3,,4\n5,NA,6\n")
    info = inspect_table(path)
    assert info.numeric_columns == ("a", "c") and info.label_columns == ()
    with pytest.raises(DataError, match="column 'b' has no values"):
        load_dataset(path, ["a", "b"])
