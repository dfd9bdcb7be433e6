"""gmm-fit's honest outcomes (issue #11): the prior, restarts' maxima, degenerate solutions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gmm_gui.cli import main
from gmm_gui.io import load_dataset, read_mixture, write_mixture
from gmm_gui.model import Mixture, Prior, e_step, fit


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
    expected = fit(X, "kmeans++", n_components=3, seed=0, max_iter=250, prior=prior)
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
