"""The parameter file's "fit" block: the prior of a MAP fit, the settings, restarts' maxima."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from gmm_gui.io import FitInfo, ParameterFileError, load_dataset, read_mixture, write_mixture
from gmm_gui.io.mixture_file import MaximumInfo, RestartsInfo
from gmm_gui.model import Mixture, Prior, fit, run_restarts


@pytest.fixture
def heights(datasets_dir):
    return load_dataset(datasets_dir / "Davis.csv", ["height"])


def _map_fit_info(X, result, restarts=None):
    return FitInfo(
        n_points=X.shape[0], n_iter=result.n_iter, converged=result.converged,
        log_likelihood=result.log_likelihood, mean_log_likelihood=result.mean_log_likelihood,
        bic=1480.5, aic=1463.25, reg_covar=1e-6, tol=1e-3, seed=3, max_iter=250,
        prior=result.prior, mean_log_posterior=result.mean_log_posterior,
        mean_log_posterior_history=result.history, degenerate=result.degenerate,
        restarts=restarts,
    )


def test_a_prior_block_round_trips_exactly(tmp_path, heights):
    X = heights.values
    prior = Prior.default(X, 2)
    result = fit(X, "kmeans++", n_components=2, seed=3, prior=prior)
    restarts = RestartsInfo(n_runs=7, maxima=(
        MaximumInfo(-3.634, 5, True, True, mean_log_posterior=-3.75),
        MaximumInfo(-3.9, 2, False, False, mean_log_posterior=-4.0),
    ))
    info = _map_fit_info(X, result, restarts)
    write_mixture(tmp_path / "p.json", result.mixture, heights.columns, info)
    _, back = read_mixture(tmp_path / "p.json", n_features=1)
    assert back.fit == info
    assert back.fit.prior == prior and back.fit.restarts.n_degenerate_runs == 5

    doc = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))["fit"]
    assert doc["prior"] == prior.as_dict()
    assert doc["max_iter"] == 250 and doc["degenerate"] is result.degenerate
    assert doc["mean_log_posterior"] == result.mean_log_posterior
    # With a prior the history is of the log-posterior, and says so by its key.
    assert doc["mean_log_posterior_history"] == list(result.history)
    assert "mean_log_likelihood_history" not in doc
    assert doc["restarts"] == {"n_runs": 7, "maxima": [
        {"mean_log_likelihood": -3.634, "mean_log_posterior": -3.75, "runs": 5,
         "converged": True, "degenerate": True},
        {"mean_log_likelihood": -3.9, "mean_log_posterior": -4.0, "runs": 2,
         "converged": False, "degenerate": False},
    ]}


def test_restarts_info_has_one_entry_per_group_best_first(heights):
    X = heights.values
    prior = Prior.default(X, 2)
    result = run_restarts(X, 2, 6, seed=1, prior=prior)
    info = RestartsInfo.from_result(result)
    assert info.n_runs == 6 and len(info.maxima) == len(result.groups)
    assert sum(m.runs for m in info.maxima) == 6
    assert info.n_degenerate_runs == result.n_degenerate_set_aside
    for entry, group in zip(info.maxima, result.groups, strict=True):
        assert entry.runs == group.count and entry.degenerate == group.degenerate
        assert entry.converged == group.converged
        assert entry.mean_log_likelihood == pytest.approx(group.mean_log_likelihood)
        posteriors = [r.mean_log_posterior for r in result.runs if r.index in group.members]
        assert entry.mean_log_posterior == pytest.approx(np.mean(posteriors))
    posteriors = [m.mean_log_posterior for m in info.maxima]
    assert posteriors == sorted(posteriors, reverse=True)


def test_without_a_prior_no_posterior_keys_are_written(tmp_path, heights):
    X = heights.values
    result = fit(X, "kmeans++", n_components=2, seed=0)
    restarts = RestartsInfo.from_result(run_restarts(X, 2, 2, seed=0))
    assert all(m.mean_log_posterior is None for m in restarts.maxima)
    info = FitInfo(
        n_points=200, n_iter=result.n_iter, converged=result.converged,
        log_likelihood=result.log_likelihood, mean_log_likelihood=result.mean_log_likelihood,
        bic=1.0, aic=2.0, reg_covar=1e-6, tol=1e-3, seed=0,
        mean_log_likelihood_history=result.history, max_iter=100, restarts=restarts,
    )
    write_mixture(tmp_path / "p.json", result.mixture, ["height"], info)
    doc = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))["fit"]
    assert "prior" not in doc and "mean_log_posterior" not in doc
    assert "mean_log_posterior_history" not in doc
    assert all("mean_log_posterior" not in m for m in doc["restarts"]["maxima"])
    assert read_mixture(tmp_path / "p.json")[1].fit == info


def _doc_with_prior():
    mixture = Mixture([0.5, 0.5], [[0.0, 0.0], [3.0, 3.0]], [np.eye(2), np.eye(2)])
    return {
        "format": "gmm-gui/mixture", "version": 1, "covariance_type": "full",
        "columns": ["x", "y"], "weights": mixture.weights.tolist(),
        "means": mixture.means.tolist(), "covariances": mixture.covariances.tolist(),
        "fit": {
            "n_points": 10, "n_iter": 2, "converged": True, "log_likelihood": -30.0,
            "mean_log_likelihood": -3.0, "bic": 70.0, "aic": 65.0, "reg_covar": 1e-6,
            "tol": 1e-3, "seed": 0,
            "prior": {"shrinkage": 0.01, "mean": [1.5, 1.5], "dof": 4.0,
                      "scale": [[1.0, 0.2], [0.2, 1.0]]},
            "restarts": {"n_runs": 3, "maxima": [
                {"mean_log_likelihood": -3.0, "runs": 3, "converged": True,
                 "degenerate": False},
            ]},
        },
    }


def _prior(doc):
    return doc["fit"]["prior"]


def _maximum(doc):
    return doc["fit"]["restarts"]["maxima"][0]


BAD_BLOCKS = [
    ("prior-list", lambda d: d["fit"].__setitem__("prior", [0.01]), "fit.prior must be an object"),
    ("no-dof", lambda d: _prior(d).pop("dof"), "fit.prior has no 'dof'"),
    ("text-shrinkage", lambda d: _prior(d).__setitem__("shrinkage", "0.01"),
     "fit.prior.shrinkage must be a number"),
    ("bool-dof", lambda d: _prior(d).__setitem__("dof", True), "fit.prior.dof must be a number"),
    ("mean-dimension", lambda d: _prior(d).__setitem__("mean", [1.5]),
     "fit.prior has a mean of 1 numbers"),
    ("scale-not-matrix", lambda d: _prior(d).__setitem__("scale", [1.0, 1.0]),
     "fit.prior.scale must be a list of lists of numbers"),
    ("scale-not-pd", lambda d: _prior(d).__setitem__("scale", [[1.0, 2.0], [2.0, 1.0]]),
     "fit.prior: the prior's scale must be positive definite"),
    ("negative-shrinkage", lambda d: _prior(d).__setitem__("shrinkage", -1),
     "fit.prior: the prior's shrinkage must be finite and >= 0"),
    ("low-dof", lambda d: _prior(d).__setitem__("dof", 0.5),
     "fit.prior: the prior's dof must be greater than 1"),
    ("max-iter-text", lambda d: d["fit"].__setitem__("max_iter", "100"),
     "fit.max_iter must be a whole number"),
    ("degenerate-text", lambda d: d["fit"].__setitem__("degenerate", "no"),
     "fit.degenerate must be true or false"),
    ("posterior-text", lambda d: d["fit"].__setitem__("mean_log_posterior", "-3"),
     "fit.mean_log_posterior must be a number"),
    ("restarts-list", lambda d: d["fit"].__setitem__("restarts", []),
     "fit.restarts must be an object"),
    ("maxima-object", lambda d: d["fit"]["restarts"].__setitem__("maxima", {}),
     "fit.restarts.maxima must be a list"),
    ("runs-zero", lambda d: _maximum(d).__setitem__("runs", 0),
     "fit.restarts.maxima[0].runs must be a whole number >= 1"),
    ("converged-missing", lambda d: _maximum(d).pop("converged"),
     "fit.restarts.maxima[0].converged must be true or false"),
    ("maximum-ll-text", lambda d: _maximum(d).__setitem__("mean_log_likelihood", "x"),
     "fit.restarts.maxima[0].mean_log_likelihood must be a number"),
]


def test_a_valid_prior_block_reads(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps(_doc_with_prior()), encoding="utf-8")
    _, info = read_mixture(tmp_path / "p.json")
    assert info.fit.prior == Prior(0.01, [1.5, 1.5], 4.0, [[1.0, 0.2], [0.2, 1.0]])
    assert info.fit.restarts == RestartsInfo(3, (MaximumInfo(-3.0, 3, True, False),))
    assert info.fit.max_iter is None and info.fit.degenerate is None


@pytest.mark.parametrize(("mutate", "message"), [b[1:] for b in BAD_BLOCKS],
                         ids=[b[0] for b in BAD_BLOCKS])
def test_a_bad_fit_block_says_what_is_wrong(tmp_path, mutate, message):
    doc = copy.deepcopy(_doc_with_prior())
    mutate(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ParameterFileError) as info:
        read_mixture(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text
