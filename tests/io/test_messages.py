"""Clear messages (issue #12 item 10): one short line, no NumPy warnings, nothing overwritten."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gmm_gui.cli import main
from gmm_gui.io import ColumnChoiceRequired, DataError, FitInfo, load_dataset, mixture_to_json
from gmm_gui.io.mixture_file import write_mixture
from gmm_gui.model import Mixture


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _error_line(capsys, *argv):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gmm-fit: error: "), err
    assert "internal error" not in err
    return lines[0]


def _mixture(means, variances=(1.0, 1.0)):
    means = np.asarray(means, dtype=float)
    covariances = np.stack([np.eye(means.shape[1]) * v for v in variances])
    return Mixture(np.full(means.shape[0], 1.0 / means.shape[0]), means, covariances, "full")


@pytest.mark.parametrize(("flag", "value"), [("--reg-covar", "1e308"), ("--tol", "1e308")])
def test_a_huge_setting_is_one_clear_line(capsys, datasets_dir, flag, value):
    line = _error_line(capsys, datasets_dir / "faithful.csv", "-k", 2, flag, value)
    assert line == (
        f"gmm-fit: error: argument {flag}: {flag} must be at most 1e+100, not {value} "
        "(see gmm-fit --help)"
    )


def test_the_largest_setting_still_fits_without_warnings(capsys, datasets_dir, tmp_path):
    out = tmp_path / "p.json"
    code, _, err = _run(capsys, datasets_dir / "faithful.csv", "-k", 2, "--reg-covar", "1e100",
                        "--out", out)
    assert code == 0 and err == ""
    assert json.loads(out.read_text(encoding="utf-8"))["fit"]["reg_covar"] == 1e100


def test_the_json_writer_refuses_non_finite_numbers_in_a_sentence():
    mixture = _mixture([[0.0, 0.0], [1.0, 1.0]])
    info = FitInfo(n_points=10, n_iter=1, converged=False, log_likelihood=-math.inf,
                   mean_log_likelihood=-math.inf, bic=math.inf, aic=math.inf,
                   reg_covar=1e-6, tol=1e-3)
    with pytest.raises(ValueError) as caught:
        mixture_to_json(mixture, ["a", "b"], info)
    assert str(caught.value) == (
        "fit.log_likelihood is -inf; a parameter file holds finite numbers only"
    )
    with pytest.raises(ValueError, match=r"^fit\.history\[1\] is nan; "):
        mixture_to_json(mixture, ["a", "b"], {"history": [1.0, math.nan]})


@pytest.mark.parametrize("mean", [1e200, 1e300, -1e160])
def test_an_init_far_beyond_the_data_is_refused_without_an_overflow_warning(
    capsys, datasets_dir, tmp_path, mean
):
    start = tmp_path / "start.json"
    write_mixture(start, _mixture([[mean, 50.0], [4.0, 80.0]]), ["eruptions", "waiting"])
    line = _error_line(capsys, datasets_dir / "faithful.csv", "--init", start)
    assert line.startswith(
        f"gmm-fit: error: {start}: component 1 is too far from the data for its spread "
        f"(mean ({mean:.3g}, 50), smallest variance 1, data from (1.6, 43) to (5.1, 96))"
    )


def test_an_init_with_a_tiny_but_usable_variance_is_accepted(capsys, datasets_dir, tmp_path):
    start = tmp_path / "start.json"
    write_mixture(start, _mixture([[2.0, 50.0], [4.0, 80.0]], (1e-300, 1.0)),
                  ["eruptions", "waiting"])
    code, _, err = _run(capsys, datasets_dir / "faithful.csv", "--init", start)
    assert code == 0 and err == ""


def test_out_must_not_overwrite_the_init_file(capsys, datasets_dir, tmp_path):
    start = tmp_path / "start.json"
    write_mixture(start, _mixture([[2.0, 50.0], [4.0, 80.0]]), ["eruptions", "waiting"])
    before = start.read_bytes()
    line = _error_line(capsys, datasets_dir / "faithful.csv", "--init", start, "--out", start)
    assert line == f"gmm-fit: error: --out {start} would overwrite the --init file"
    assert start.read_bytes() == before


def _wide(tmp_path, n_columns=100_000):
    path = tmp_path / "wide.csv"
    header = ",".join(f"measurement_{j}" for j in range(n_columns))
    rows = "\n".join(",".join(str(i + j % 7) for j in range(n_columns)) for i in range(3))
    path.write_text(header + "\n" + rows + "\n", encoding="utf-8")
    return path


def test_a_100000_column_file_gives_a_short_message(tmp_path, capsys):
    path = _wide(tmp_path)
    with pytest.raises(ColumnChoiceRequired) as caught:
        load_dataset(path)
    message = str(caught.value)
    assert len(message) < len(str(path)) + 300
    assert message.startswith(f"{path}: 100000 numeric columns (measurement_0, measurement_1, ")
    assert message.endswith("... (100000 in all)); choose one or two of them")
    assert len(caught.value.numeric_columns) == 100_000  # the picker still gets every name
    line = _error_line(capsys, path, "-k", 2)
    assert len(line) < len(str(path)) + 350 and line.endswith("with --columns A,B")
    line = _error_line(capsys, path, "-k", 2, "--columns", "nope")
    assert len(line) < len(str(path)) + 350 and "(100000 in all)" in line


def test_a_huge_cell_is_quoted_short(tmp_path):
    path = tmp_path / "cell.csv"
    path.write_text("x,y\n1,2\n3,4\n" + "7" * 50 + "O" * 10_000 + ",5\n6,7\n", encoding="utf-8")
    data = load_dataset(path)
    (reason,) = data.drop_reasons
    assert len(reason) < 300 and reason.endswith("...')")


def test_a_huge_column_name_is_quoted_short(tmp_path):
    path = tmp_path / "name.csv"
    path.write_text("x,y\n1,2\n3,4\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset(path, ["z" * 100_000])
    assert len(str(caught.value)) < len(str(path)) + 300
