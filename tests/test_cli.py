"""gmm-fit end to end: summaries, output files, scikit-learn agreement, and every error path."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gmm_gui.cli import main
from gmm_gui.io import load_dataset, read_mixture, write_mixture
from gmm_gui.model import Mixture, aic, bic, e_step


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------- successful runs


def test_fit_faithful_writes_params_and_labels(tmp_path, capsys, datasets_dir):
    data_path = datasets_dir / "faithful.csv"
    out, labels = tmp_path / "p.json", tmp_path / "r.csv"
    code, stdout, stderr = _run(capsys, data_path, "-k", 2, "--out", out, "--labels", labels)
    assert code == 0 and stderr == ""

    mixture, info = read_mixture(out)
    data = load_dataset(data_path)
    assert info.columns == ("eruptions", "waiting") and mixture.n_components == 2
    fit_info = info.fit
    assert fit_info is not None and fit_info.n_points == 272 and fit_info.seed == 0
    resp, total = e_step(data.values, mixture)
    assert fit_info.log_likelihood == pytest.approx(total, rel=1e-12)
    assert fit_info.bic == pytest.approx(bic(data.values, mixture), rel=1e-12)
    assert fit_info.aic == pytest.approx(aic(data.values, mixture), rel=1e-12)
    assert fit_info.mean_log_likelihood_history[-1] == pytest.approx(total / 272, rel=1e-9)
    assert len(fit_info.mean_log_likelihood_history) == fit_info.n_iter

    # The summary a person reads.
    assert str(data_path) in stdout
    assert "272 points, 2 columns (eruptions, waiting)" in stdout
    assert "rows dropped    0 of 272" in stdout
    assert "K = 2, full covariances" in stdout
    assert f"converged after {fit_info.n_iter} iterations" in stdout
    assert f"{total:.6g}" in stdout and f"{fit_info.bic:.6g}" in stdout
    assert f"{fit_info.aic:.6g}" in stdout
    assert "mean eruptions" in stdout and f"{mixture.weights[0]:.4f}" in stdout

    with open(labels, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["index", "component_1", "component_2", "label"]
    np.testing.assert_allclose(np.array([r[1:3] for r in rows[1:]], dtype=float), resp,
                               atol=1e-15)
    np.testing.assert_array_equal([int(r[0]) for r in rows[1:]], np.arange(272))
    np.testing.assert_array_equal([int(r[3]) for r in rows[1:]], resp.argmax(axis=1) + 1)


def test_same_seed_same_result(tmp_path, capsys, datasets_dir):
    for name in ("a.json", "b.json"):
        assert main([str(datasets_dir / "faithful.csv"), "-k", "3", "--restarts", "2",
                     "--init-method", "random-from-data", "--seed", "7",
                     "--out", str(tmp_path / name)]) == 0
    capsys.readouterr()
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_dropped_rows_are_reported_and_indexed(tmp_path, capsys, datasets_dir):
    labels = tmp_path / "r.csv"
    code, stdout, _ = _run(capsys, datasets_dir / "Davis.csv", "--columns", "height,repht",
                           "-k", 2, "--labels", labels)
    assert code == 0
    data = load_dataset(datasets_dir / "Davis.csv", ["height", "repht"])
    assert f"rows dropped    {data.n_dropped} of 200: {data.drop_reasons[0]}" in stdout
    with open(labels, newline="", encoding="utf-8") as handle:
        index = [int(row[0]) for row in list(csv.reader(handle))[1:]]
    np.testing.assert_array_equal(index, data.row_index)


def test_engine_warnings_are_printed(capsys, datasets_dir):
    # Davis has one far outlier (height 57): a second component collapses onto it. (One run:
    # with --restarts, runs that all collapse are refused, see test_cli_honest.py.)
    code, stdout, _ = _run(capsys, datasets_dir / "Davis.csv", "--columns", "height", "-k", 2)
    assert code == 0
    assert "warning: component" in stdout


def test_a_singular_stop_is_not_blamed_on_max_iter(tmp_path, capsys):
    # Points on a line with reg_covar 0: EM stops at once on a singular covariance. (A k-means
    # start: a k-means++ start's Gaussians sit on single points and are widened to be seen,
    # see draw_start, so that EM climbs a few iterations before its Gaussians collapse.)
    data = tmp_path / "line.csv"
    data.write_text("x,y\n1,1\n1,1\n2,2\n2,2\n3,3\n", encoding="utf-8")
    code, stdout, _ = _run(capsys, data, "-k", 2, "--reg-covar", 0, "--covariance-type", "tied",
                           "--init-method", "kmeans")
    assert code == 0
    assert "covariance became singular" in stdout and "--reg-covar" in stdout
    assert "--max-iter" not in stdout


def test_init_starts_exactly_there_and_matches_sklearn(tmp_path, capsys, datasets_dir):
    """--init runs EM from the file's mixture: the result is scikit-learn's from that start."""
    from sklearn.mixture import GaussianMixture

    data = load_dataset(datasets_dir / "faithful.csv")
    X = data.values
    # A deliberately poor start, so EM has work to do.
    start = Mixture([0.5, 0.5], X[[0, 1]], np.array([np.cov(X.T)] * 2))
    write_mixture(tmp_path / "start.json", start, data.columns)
    out = tmp_path / "fitted.json"
    code, stdout, _ = _run(capsys, datasets_dir / "faithful.csv", "--init", tmp_path /
                           "start.json", "--tol", "1e-6", "--max-iter", 500, "--out", out)
    assert code == 0
    assert "start           the mixture in" in stdout
    ours, info = read_mixture(out)

    gm = GaussianMixture(
        n_components=2, covariance_type="full", tol=1e-6, max_iter=500, reg_covar=1e-6,
        weights_init=start.weights, means_init=start.means,
        precisions_init=np.linalg.inv(start.covariances),
    ).fit(X)
    assert gm.converged_ and info.fit is not None and info.fit.converged
    assert info.fit.n_iter == gm.n_iter_
    np.testing.assert_allclose(ours.weights, gm.weights_, rtol=1e-7)
    np.testing.assert_allclose(ours.means, gm.means_, rtol=1e-7)
    np.testing.assert_allclose(ours.covariances, gm.covariances_, rtol=1e-6)
    assert info.fit.mean_log_likelihood == pytest.approx(gm.score(X), rel=1e-9)
    assert info.fit.bic == pytest.approx(gm.bic(X), rel=1e-9)
    assert info.fit.aic == pytest.approx(gm.aic(X), rel=1e-9)


def test_init_with_max_iter_zero_evaluates_the_start(tmp_path, capsys, datasets_dir):
    data = load_dataset(datasets_dir / "faithful.csv")
    start = Mixture([0.5, 0.5], data.values[[0, 1]], np.array([np.cov(data.values.T)] * 2))
    write_mixture(tmp_path / "s.json", start, data.columns)
    code, stdout, _ = _run(capsys, datasets_dir / "faithful.csv", "--init", tmp_path / "s.json",
                           "--max-iter", 0, "--out", tmp_path / "o.json")
    assert code == 0 and "no iteration run" in stdout
    back, info = read_mixture(tmp_path / "o.json")
    np.testing.assert_array_equal(back.means, start.means)
    assert info.fit is not None
    assert info.fit.log_likelihood == pytest.approx(e_step(data.values, start)[1], rel=1e-12)


def test_init_picks_the_files_columns_from_a_wide_table(tmp_path, capsys, datasets_dir):
    data = load_dataset(datasets_dir / "iris.csv", ["Petal.Length", "Petal.Width"])
    start = Mixture([0.5, 0.5], data.values[[0, 100]], np.array([np.cov(data.values.T)] * 2))
    write_mixture(tmp_path / "s.json", start, data.columns)
    code, stdout, _ = _run(capsys, datasets_dir / "iris.csv", "--init", tmp_path / "s.json")
    assert code == 0
    assert "(Petal.Length, Petal.Width)" in stdout
    assert "note: columns Petal.Length, Petal.Width chosen as in" in stdout


@pytest.mark.parametrize("covariance_type", ["diag", "spherical", "tied"])
def test_covariance_types(tmp_path, capsys, datasets_dir, covariance_type):
    out = tmp_path / "p.json"
    code, stdout, _ = _run(capsys, datasets_dir / "faithful.csv", "-k", 2,
                           "--covariance-type", covariance_type, "--out", out)
    assert code == 0 and f"{covariance_type} covariances" in stdout
    assert read_mixture(out)[0].covariance_type == covariance_type
    # Refitting from that file keeps the type without being told.
    code, stdout, _ = _run(capsys, datasets_dir / "faithful.csv", "--init", out)
    assert code == 0 and f"{covariance_type} covariances" in stdout


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    out, _ = capsys.readouterr()
    assert "--init-method" in out and "--labels" in out
    assert main(["--version"]) == 0


# ------------------------------------------------------------------------- errors


ERRORS = [
    ("missing-data", ["{tmp}/nope.csv", "-k", "2"], "nope.csv: no such file"),
    ("no-k-or-init", ["{faithful}"], "one of the arguments -k --init is required"),
    ("both", ["{faithful}", "-k", "2", "--init", "{tmp}/p.json"], "not allowed with argument"),
    ("k-zero", ["{faithful}", "-k", "0"], "K must be at least 1, not 0"),
    ("k-text", ["{faithful}", "-k", "two"], "K must be a whole number, not 'two'"),
    ("bad-tol", ["{faithful}", "-k", "2", "--tol", "-1"], "--tol must be a finite number >= 0"),
    ("bad-cov", ["{faithful}", "-k", "2", "--covariance-type", "round"], "invalid choice"),
    ("needs-columns", ["{iris}", "-k", "2"], "choose one or two with --columns A,B"),
    ("unknown-column", ["{faithful}", "--columns", "eruptions,wait", "-k", "2"],
     "no numeric column 'wait'; numeric columns: eruptions, waiting"),
    ("label-column", ["{iris}", "--columns", "Species", "-k", "2"], "'Species' holds text"),
    ("too-many-k", ["{galaxies}", "-k", "100"], "galaxies.csv: cannot fit 100 components to 82"),
    ("init-missing", ["{faithful}", "--init", "{tmp}/none.json"], "none.json: no such file"),
    ("init-dimension", ["{galaxies}", "--init", "{tmp}/p.json"],
     "describes 2-dimensional data (eruptions, waiting) but the data has 1 column"),
    ("init-method-with-init", ["{faithful}", "--init", "{tmp}/p.json", "--init-method", "random"],
     "--init-method applies to -k"),
    ("restarts-with-init", ["{faithful}", "--init", "{tmp}/p.json", "--restarts", "3"],
     "--restarts applies to -k"),
    ("init-type-change", ["{faithful}", "--init", "{tmp}/p.json", "--covariance-type", "diag"],
     "holds full covariances; --covariance-type diag would change the start"),
    ("out-folder", ["{faithful}", "-k", "2", "--out", "{tmp}/no/such/dir/p.json"],
     "does not exist"),
    ("out-is-data", ["{tmp}/copy.csv", "-k", "2", "--out", "{tmp}/copy.csv"],
     "would overwrite the data file"),
    ("same-outputs", ["{faithful}", "-k", "2", "--out", "{tmp}/x", "--labels", "{tmp}/x"],
     "name the same file"),
    ("binary", ["{tmp}/garbage.csv", "-k", "2"], "binary data"),
]


@pytest.mark.parametrize(("argv", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_exit_2_with_one_line_and_touch_nothing(tmp_path, capsys, datasets_dir, argv,
                                                       message):
    (tmp_path / "garbage.csv").write_bytes(bytes(range(256)))
    (tmp_path / "copy.csv").write_bytes((datasets_dir / "faithful.csv").read_bytes())
    data = load_dataset(datasets_dir / "faithful.csv")
    start = Mixture([0.5, 0.5], data.values[[0, 1]], np.array([np.cov(data.values.T)] * 2))
    write_mixture(tmp_path / "p.json", start, data.columns)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}

    names = {"tmp": tmp_path, "faithful": datasets_dir / "faithful.csv",
             "iris": datasets_dir / "iris.csv", "galaxies": datasets_dir / "galaxies.csv"}
    code, stdout, stderr = _run(capsys, *(a.format(**names) for a in argv))
    assert code == 2
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("gmm-fit: error: ")
    assert message in lines[0]
    assert "Traceback" not in stderr
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before


def test_existing_out_file_untouched_when_the_fit_fails(tmp_path, capsys, datasets_dir):
    out, labels = tmp_path / "p.json", tmp_path / "r.csv"
    out.write_text("keep me", encoding="utf-8")
    labels.write_text("keep me too", encoding="utf-8")
    code, _, stderr = _run(capsys, datasets_dir / "galaxies.csv", "-k", 500, "--out", out,
                           "--labels", labels)
    assert code == 2 and "gmm-fit: error:" in stderr
    assert out.read_text(encoding="utf-8") == "keep me"
    assert labels.read_text(encoding="utf-8") == "keep me too"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json", "r.csv"]


def test_failed_write_is_an_error_and_leaves_old_files(tmp_path, capsys, monkeypatch,
                                                        datasets_dir):
    import os

    out = tmp_path / "p.json"
    out.write_text("keep me", encoding="utf-8")

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    code, stdout, stderr = _run(capsys, datasets_dir / "faithful.csv", "-k", 2, "--out", out)
    assert code == 2 and stdout == ""
    assert stderr.startswith("gmm-fit: error: ") and "No space left" in stderr
    assert out.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


# ------------------------------------------------------------------------- installed command


def test_installed_entry_point(tmp_path, datasets_dir):
    exe = Path(sys.executable).parent / "gmm-fit"
    assert exe.is_file(), f"the gmm-fit entry point is not installed beside {sys.executable}"
    out = tmp_path / "p.json"
    ok = subprocess.run([str(exe), str(datasets_dir / "galaxies.csv"), "-k", "3", "--out",
                         str(out)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "82 points, 1 column (x)" in ok.stdout
    assert json.loads(out.read_text(encoding="utf-8"))["columns"] == ["x"]
    bad = subprocess.run([str(exe), str(tmp_path / "missing.csv"), "-k", "2"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        f"gmm-fit: error: {tmp_path / 'missing.csv'}: no such file"
    ]
