"""gmm-fit's honest outcomes (issue #11): the prior, restarts' maxima, degenerate solutions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gmm_gui.cli import main
from gmm_gui.io import load_dataset, read_mixture, write_mixture
from gmm_gui.io.mixture_file import RestartsInfo
from gmm_gui.model import (
    RUN_MAX_ITER,
    RUN_TOL,
    Mixture,
    Prior,
    draw_start,
    e_step,
    fit,
    init_mixture,
    run_restarts,
)
from gmm_gui.model.restarts import run_seeds


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def davis(datasets_dir):
    return datasets_dir / "Davis.csv"


@pytest.fixture
def heights(davis):
    return load_dataset(davis, ["height"])


# ------------------------------------------------------------------------- --prior


def test_prior_is_map_em_with_mclusts_default_and_is_recorded(tmp_path, capsys, datasets_dir):
    data = load_dataset(datasets_dir / "faithful.csv")
    X = data.values
    out = tmp_path / "p.json"
    code, stdout, stderr = _run(capsys, datasets_dir / "faithful.csv", "-k", 3, "--prior",
                                "--max-iter", 250, "--out", out)
    assert code == 0 and stderr == ""
    prior = Prior.default(X, 3)
    # gmm-fit -k 3 starts where the window's toolbar does (k-means++, seed 0)
    expected = fit(X, draw_start(X, 3, "kmeans++", seed=0), max_iter=250, prior=prior)
    mixture, info = read_mixture(out)
    np.testing.assert_array_equal(mixture.means, expected.mixture.means)
    np.testing.assert_array_equal(mixture.covariances, expected.mixture.covariances)

    fit_info = info.fit
    assert fit_info.prior == prior and fit_info.max_iter == 250 and fit_info.tol == 1e-3
    assert fit_info.mean_log_posterior == expected.mean_log_posterior
    assert fit_info.mean_log_posterior_history == expected.history
    assert fit_info.mean_log_likelihood_history == ()
    _, total = e_step(X, mixture)
    assert fit_info.log_likelihood == pytest.approx(total, rel=1e-12)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["fit"]["prior"] == prior.as_dict()

    # The summary names the objective and prints both figures.
    assert "the objective is the log-posterior" in stdout
    posterior = expected.mean_log_posterior
    assert f"log-posterior   {posterior * 272:.6g} (mean per point {posterior:.6g})" in stdout
    assert f"log-likelihood  {total:.6g} (mean per point {total / 272:.6g})" in stdout
    assert "mean log-posterior per point changed by less than tol 0.001" in stdout


def test_without_prior_nothing_about_one_is_written_or_said(tmp_path, capsys, datasets_dir):
    out = tmp_path / "p.json"
    code, stdout, _ = _run(capsys, datasets_dir / "faithful.csv", "-k", 2, "--max-iter", 40,
                           "--reg-covar", 1e-4, "--out", out)
    summary = stdout.split("\nwrote ")[0]  # the paths may hold any word
    assert code == 0 and "posterior" not in summary and "prior" not in summary
    doc = json.loads(out.read_text(encoding="utf-8"))["fit"]
    assert "prior" not in doc and "mean_log_posterior" not in doc
    assert doc["max_iter"] == 40 and doc["reg_covar"] == 1e-4 and doc["tol"] == 1e-3
    assert len(doc["mean_log_likelihood_history"]) == doc["n_iter"]


def test_prior_keeps_the_57_cm_point_from_collapsing(tmp_path, capsys, davis, heights):
    # A start with a narrow component on Davis' 57 cm entry: without a prior its variance
    # falls to the reg_covar floor; with one it stays the prior's size.
    start = Mixture([0.01, 0.99], [[57.0], [170.0]], [[[4.0]], [[100.0]]])
    write_mixture(tmp_path / "s.json", start, ["height"])
    variances = {}
    for flags in ((), ("--prior",)):
        out = tmp_path / "o.json"
        code, _, _ = _run(capsys, davis, "--columns", "height", "--init", tmp_path / "s.json",
                          *flags, "--out", out)
        assert code == 0
        variances[flags] = read_mixture(out)[0].covariances[0, 0, 0]
    assert variances[()] < 1e-5
    prior = Prior.default(heights.values, 2)
    assert variances[("--prior",)] > 0.1 * prior.scale[0, 0]


def test_prior_with_an_init_file_uses_its_k(tmp_path, capsys, datasets_dir):
    data = load_dataset(datasets_dir / "faithful.csv")
    start = Mixture([0.5, 0.5], data.values[[0, 1]], np.array([np.cov(data.values.T)] * 2))
    write_mixture(tmp_path / "s.json", start, data.columns)
    out = tmp_path / "o.json"
    code, _, _ = _run(capsys, datasets_dir / "faithful.csv", "--init", tmp_path / "s.json",
                      "--prior", "--out", out)
    assert code == 0
    assert read_mixture(out)[1].fit.prior == Prior.default(data.values, 2)


# ------------------------------------------------------------------------- --restarts


def _maxima_lines(stdout):
    lines = stdout.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("  restarts"))
    end = next(i for i, line in enumerate(lines) if line.startswith("  set aside"))
    return lines[top + 2:end]  # below the header line


def test_restarts_list_their_maxima_in_the_file_and_the_summary(tmp_path, capsys,
                                                                datasets_dir):
    X = load_dataset(datasets_dir / "faithful.csv").values
    out = tmp_path / "p.json"
    code, stdout, _ = _run(capsys, datasets_dir / "faithful.csv", "-k", 3, "--restarts", 12,
                           "--seed", 4, "--out", out)
    assert code == 0
    # As the window's Restarts: the same seeds, run to RUN_TOL / RUN_MAX_ITER.
    expected = run_restarts(X, 3, 12, "kmeans++", seed=4)
    assert expected.tol == RUN_TOL and expected.max_iter == RUN_MAX_ITER
    mixture, info = read_mixture(out)
    np.testing.assert_array_equal(mixture.means, expected.best.mixture.means)
    assert info.fit.tol == RUN_TOL and info.fit.max_iter == RUN_MAX_ITER
    assert info.fit.n_iter == expected.best.n_iter and info.fit.seed == 4
    assert info.fit.restarts == RestartsInfo.from_result(expected)

    doc = json.loads(out.read_text(encoding="utf-8"))["fit"]["restarts"]
    assert doc["n_runs"] == 12 and len(doc["maxima"]) == len(expected.groups) > 1
    assert sum(entry["runs"] for entry in doc["maxima"]) == 12
    lls = [entry["mean_log_likelihood"] for entry in doc["maxima"]]
    assert lls == sorted(lls, reverse=True)
    assert all(set(entry) == {"mean_log_likelihood", "runs", "converged", "degenerate"}
               for entry in doc["maxima"])

    rows = _maxima_lines(stdout)
    assert len(rows) == len(expected.groups)
    for rank, (row, group) in enumerate(zip(rows, expected.groups, strict=True), start=1):
        cells = row.split()
        assert cells[:3] == [str(rank), f"{group.mean_log_likelihood:.6g}", str(group.count)]
        assert ("converged" in row) == group.converged
    assert "<- kept" in rows[expected.group_of(expected.best.index)]
    assert "set aside       0 degenerate runs" in stdout


def test_restarts_keep_the_best_run_that_is_not_degenerate(tmp_path, capsys, davis, heights):
    X = heights.values
    prior = Prior.default(X, 2)
    expected = run_restarts(X, 2, 10, "kmeans++", seed=0, prior=prior)
    assert expected.n_degenerate_set_aside > 0 and expected.groups[0].degenerate
    out = tmp_path / "p.json"
    code, stdout, _ = _run(capsys, davis, "--columns", "height", "-k", 2, "--restarts", 10,
                           "--prior", "--out", out)
    assert code == 0
    mixture, info = read_mixture(out)
    np.testing.assert_array_equal(mixture.weights, expected.best.mixture.weights)
    assert info.fit.degenerate is False and info.fit.prior == prior
    maxima = json.loads(out.read_text(encoding="utf-8"))["fit"]["restarts"]["maxima"]
    assert maxima[0]["degenerate"] is True
    assert [m["degenerate"] for m in maxima] == [g.degenerate for g in expected.groups]
    assert all("mean_log_posterior" in m for m in maxima)

    n = expected.n_degenerate_set_aside
    assert f"set aside       {n} degenerate runs" in stdout
    rows = _maxima_lines(stdout)
    assert "degenerate" in rows[0] and "set aside" in rows[0] and "<- kept" not in rows[0]
    kept = rows[expected.group_of(expected.best.index)]
    assert "<- kept" in kept and "degenerate" not in kept
    assert f"run {expected.best.index + 1} (seed {expected.best.seed})" in stdout


def test_restarts_that_all_collapse_write_nothing_and_exit_2(tmp_path, capsys, davis):
    out = tmp_path / "p.json"
    out.write_text("keep me", encoding="utf-8")
    code, stdout, stderr = _run(capsys, davis, "--columns", "height", "-k", 2, "--restarts", 5,
                                "--out", out, "--labels", tmp_path / "r.csv")
    assert code == 2 and stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gmm-fit: error: ")
    assert "all 5 runs ended in a degenerate solution" in lines[0]
    assert "--prior" in lines[0] and "--reg-covar" in lines[0]
    assert out.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


def test_restarts_use_tol_and_max_iter_when_given(tmp_path, capsys, datasets_dir):
    X = load_dataset(datasets_dir / "faithful.csv").values
    out = tmp_path / "p.json"
    code, stdout, _ = _run(capsys, datasets_dir / "faithful.csv", "-k", 3, "--restarts", 4,
                           "--tol", 1e-4, "--max-iter", 3, "--out", out)
    assert code == 0
    expected = run_restarts(X, 3, 4, "kmeans++", seed=0, tol=1e-4, max_iter=3)
    _, info = read_mixture(out)
    assert info.fit.tol == 1e-4 and info.fit.max_iter == 3
    assert info.fit.restarts == RestartsInfo.from_result(expected)
    assert not any(m.converged for m in info.fit.restarts.maxima)
    assert all("stopped at max_iter" in row for row in _maxima_lines(stdout))


def test_kmeans_restarts_start_each_run_from_its_seed(tmp_path, capsys, datasets_dir):
    X = load_dataset(datasets_dir / "faithful.csv").values
    out = tmp_path / "p.json"
    code, _, _ = _run(capsys, datasets_dir / "faithful.csv", "-k", 2, "--restarts", 3,
                      "--init-method", "kmeans", "--seed", 5, "--out", out)
    assert code == 0
    results = []
    for run_seed in run_seeds(5, 3):
        start = init_mixture(X, 2, "kmeans", seed=int(run_seed))
        results.append(fit(X, start, tol=RUN_TOL, max_iter=RUN_MAX_ITER))
    best = max(results, key=lambda r: r.mean_log_likelihood)
    mixture, info = read_mixture(out)
    np.testing.assert_array_equal(mixture.means, best.mixture.means)
    assert sum(m.runs for m in info.fit.restarts.maxima) == 3


# ------------------------------------------------------------------------- honest single fits


def _em_line(stdout):
    return next(line for line in stdout.splitlines() if line.startswith("  EM "))


def test_a_collapse_onto_the_57_cm_point_is_named_not_called_converged(tmp_path, capsys, davis,
                                                                       heights):
    start = Mixture([0.01, 0.99], [[57.0], [170.0]], [[[4.0]], [[100.0]]])
    assert fit(heights.values, start).degenerate_components == (0,)
    write_mixture(tmp_path / "s.json", start, ["height"])
    out = tmp_path / "o.json"
    code, stdout, _ = _run(capsys, davis, "--columns", "height", "--init", tmp_path / "s.json",
                           "--out", out)
    assert code == 0
    line = _em_line(stdout)
    assert "a degenerate solution (component 1 collapsed: its variance is at the reg_covar " \
        "floor and it owns 1 point, fewer than 2), not a maximum" in line
    assert "converged" not in line and "--prior" in line
    fit_info = read_mixture(out)[1].fit
    assert fit_info.degenerate is True


def test_the_default_start_on_davis_heights_is_reported_degenerate(capsys, davis, heights):
    expected = fit(heights.values, draw_start(heights.values, 2, "kmeans++", seed=0))
    assert expected.degenerate and expected.converged
    code, stdout, _ = _run(capsys, davis, "--columns", "height", "-k", 2)
    assert code == 0
    line = _em_line(stdout)
    for k in expected.degenerate_components:
        assert f"component {k + 1} collapsed" in line
    assert "not a maximum" in line and "converged" not in line


def test_with_a_prior_a_component_too_light_is_still_named(capsys, davis, heights):
    prior = Prior.default(heights.values, 2)
    expected = fit(heights.values, "kmeans++", n_components=2, seed=0, prior=prior)
    assert expected.degenerate
    code, stdout, _ = _run(capsys, davis, "--columns", "height", "-k", 2, "--prior")
    line = _em_line(stdout)
    assert code == 0 and "a degenerate solution" in line and "converged" not in line
    assert "reg_covar floor" not in line and "fewer than 2" in line


def test_a_run_stopped_by_max_iter_says_it_did_not_converge(tmp_path, capsys, datasets_dir):
    out = tmp_path / "p.json"
    code, stdout, _ = _run(capsys, datasets_dir / "faithful.csv", "-k", 2, "--max-iter", 2,
                           "--out", out)
    assert code == 0
    line = _em_line(stdout)
    assert "did not converge within max_iter (2 iterations" in line
    assert "converged" not in line and "--max-iter" in line
    fit_info = read_mixture(out)[1].fit
    assert fit_info.converged is False and fit_info.degenerate is False
    assert fit_info.n_iter == 2 == fit_info.max_iter


def test_a_proper_maximum_is_recorded_as_not_degenerate(tmp_path, capsys, datasets_dir):
    out = tmp_path / "p.json"
    code, stdout, _ = _run(capsys, datasets_dir / "faithful.csv", "-k", 2, "--out", out)
    assert code == 0 and _em_line(stdout).split()[1] == "converged"
    assert read_mixture(out)[1].fit.degenerate is False


def test_help_names_prior_and_refitting_a_map_file_without_it_says_so(tmp_path, capsys, davis):
    assert main(["--help"]) == 0
    assert "--prior" in capsys.readouterr().out
    out = tmp_path / "map.json"
    code, _, _ = _run(capsys, davis, "--columns", "height", "-k", 2, "--prior", "--out", out)
    assert code == 0
    code, stdout, _ = _run(capsys, davis, "--columns", "height", "--init", out)
    assert code == 0
    assert f"note: {out} was fitted with a prior; without --prior this fit is by maximum " \
        "likelihood" in stdout
    code, stdout, _ = _run(capsys, davis, "--columns", "height", "--init", out, "--prior")
    assert code == 0 and "was fitted with a prior" not in stdout
