"""Silent misreads (issue #12 item 9): numbers are numbers as CSV readers read them."""

from __future__ import annotations

import numpy as np
import pytest

from gmm_gui.cli import main
from gmm_gui.io import load_dataset, read_table


def _write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        ("1_000", "underscore"),
        ("5_5", "underscore"),
        ("\u0663", "arabic-indic"),  # ٣, which float() reads as 3
        ("\u06f4\u06f2", "extended-arabic-indic"),
        ("\uff11\uff12", "full-width"),
        ("iNfInItY", "odd-infinity"),
        ("INFinity", "odd-infinity"),
    ],
)
@pytest.mark.parametrize("n_rows", [5, 300], ids=["few-rows", "many-rows"])
def test_what_float_reads_but_csv_readers_do_not_is_text(tmp_path, cell, kind, n_rows):
    rows = [f"{i + 1}.5,{i}" for i in range(n_rows)]
    rows[1] = f"{cell},777.25"
    path = _write(tmp_path, "x,y\n" + "\n".join(rows) + "\n")
    data = load_dataset(path)
    assert data.n_samples == n_rows - 1
    assert 1 not in data.row_index  # the row with the odd cell is dropped, not read
    assert 777.25 not in data.values[:, 1]
    assert any(f"text instead of a number in x (first on line 3: {cell!r})" in reason
               for reason in data.drop_reasons), data.drop_reasons


@pytest.mark.parametrize("spelling", ["inf", "Inf", "-inf", "+Infinity", "INFINITY", "infinity"])
def test_infinity_as_csv_readers_write_it_is_infinite(tmp_path, spelling):
    path = _write(tmp_path, f"x,y\n1,2\n{spelling},3\n4,5\n6,7\n")
    data = load_dataset(path)
    assert data.n_samples == 3
    assert data.drop_reasons == ("1 row with an infinite value in x",)


def test_plain_numbers_are_still_read_on_both_readers(tmp_path):
    text = "x,y\n1e3,+.5\n-2.,3E-2\n  4 , 5 \nNaN,6\n7,NA\n"
    data = load_dataset(_write(tmp_path, text))
    np.testing.assert_array_equal(data.values, [[1000.0, 0.5], [-2.0, 0.03], [4.0, 5.0]])
    labelled = load_dataset(_write(tmp_path, "k,x,y\nα_1,1e3,2\nβ_2,3,4\n", "l.csv"))
    np.testing.assert_array_equal(labelled.values, [[1000.0, 2.0], [3.0, 4.0]])
    assert list(labelled.labels["k"]) == ["α_1", "β_2"]


def test_a_semicolon_file_with_1_250_says_the_reading_is_doubtful(tmp_path):
    path = _write(tmp_path, "weight;height\n1,250;1\n2,500;2\n3,750;3\n")
    data = load_dataset(path)
    np.testing.assert_array_equal(data.values[:, 0], [1.25, 2.5, 3.75])
    assert data.notes == (
        "column weight: 3 values such as '1,250' were read with a decimal comma (1.25, first "
        "on line 2); if the comma separates thousands (1250), convert the file",
    )
    assert load_dataset(path, ["height"]).notes == ()  # only about the chosen columns


def test_a_comma_that_can_only_be_decimal_is_not_doubtful(tmp_path):
    path = _write(tmp_path, "weight;height\n1,250;1\n2,5;2\n3,750;3\n")
    data = load_dataset(path)
    np.testing.assert_array_equal(data.values[:, 0], [1.25, 2.5, 3.75])
    assert data.notes == ()


def test_gmm_fit_prints_the_doubtful_reading(tmp_path, capsys):
    rows = "\n".join(f"{i % 9 + 1},{(i * 37) % 1000:03d};{i % 7}" for i in range(40))
    path = _write(tmp_path, "w;h\n" + rows + "\n")
    assert main([str(path), "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert "note: column w: 40 values such as '1,000' were read with a decimal comma" in out


def test_a_quoted_field_holding_a_line_break_is_read(tmp_path):
    text = (
        'name,x,y\n'
        '"Alice\nSmith",1.5,2.5\n'
        '"Bob",2.5,3.5\n'
        '"Carol ""C""\nsecond line\n\nthird",3.5,4.5\n'
        '"Dan",4.5,5.5\n'
    )
    path = _write(tmp_path, text)
    table = read_table(path)
    assert table.numeric_columns == ("x", "y") and table.label_columns == ("name",)
    data = load_dataset(path)
    np.testing.assert_array_equal(data.values, [[1.5, 2.5], [2.5, 3.5], [3.5, 4.5], [4.5, 5.5]])
    assert list(data.labels["name"]) == [
        "Alice\nSmith", "Bob", 'Carol "C"\nsecond line\n\nthird', "Dan"
    ]
    np.testing.assert_array_equal(data.row_index, [0, 1, 2, 3])


def test_a_line_break_in_a_quoted_field_after_the_sniffed_lines_is_read(tmp_path):
    rows = [f'"p{i}",{i}.5,{i}' for i in range(400)]
    rows[300] = '"two\nlines",300.5,300'
    path = _write(tmp_path, "name,x,y\n" + "\n".join(rows) + "\n")
    data = load_dataset(path)
    assert data.n_samples == 400 and data.labels["name"][300] == "two\nlines"


def test_an_unclosed_quote_is_still_reported_on_its_line(tmp_path):
    path = _write(tmp_path, 'a,b\n1,2\n"3,4\n5,6\n')
    with pytest.raises(ValueError, match="line 3: a quote is not closed"):
        load_dataset(path)
