"""Choosing K by BIC, AIC and held-out log-likelihood (gmm_gui.model.selection)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

from gmm_gui.model import fit
from gmm_gui.model.convergence import RUN_MAX_ITER, RUN_TOL
from gmm_gui.model.selection import CRITERIA, choose_k, holdout_split


def _load(folder, name, columns):
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as handle:
        rows = [[float(row[c]) for c in columns] for row in csv.DictReader(handle)]
    return np.array(rows)


def _sklearn_model(mixture):
    """A scikit-learn GaussianMixture holding exactly these parameters."""
    kind = mixture.covariance_type
    model = GaussianMixture(n_components=mixture.n_components, covariance_type=kind)
    model.weights_ = np.array(mixture.weights)
    model.means_ = np.array(mixture.means)
    model.covariances_ = mixture.compact_covariances()
    model.precisions_cholesky_ = _compute_precision_cholesky(model.covariances_, kind)
    return model


@pytest.fixture
def faithful_selection(datasets_dir):
    X = _load(datasets_dir, "faithful", ["eruptions", "waiting"])
    return X, choose_k(X, 3, seed=4, n_init=1)


def test_bic_and_aic_agree_with_sklearn(faithful_selection):
    X, selection = faithful_selection
    assert len(selection.candidates) == 4 * 3
    for cand in selection.candidates:
        model = _sklearn_model(cand.mixture)
        assert cand.bic == pytest.approx(model.bic(X), rel=1e-10)
        assert cand.aic == pytest.approx(model.aic(X), rel=1e-10)
        assert cand.mean_log_likelihood == pytest.approx(model.score(X), rel=1e-10)
        assert cand.n_parameters == model._n_parameters()
        assert cand.mixture.covariance_type == cand.covariance_type


def test_heldout_likelihood_is_that_of_a_fit_on_the_other_points(faithful_selection):
    X, selection = faithful_selection
    train, test = selection.train_index, selection.test_index
    for cand in [selection.get("full", 2), selection.get("spherical", 3)]:
        other = fit(
            X[train],
            "kmeans++",
            n_components=cand.n_components,
            covariance_type=cand.covariance_type,
            n_init=1,
            seed=4,
            tol=RUN_TOL,  # choose_k's defaults
            max_iter=RUN_MAX_ITER,
        )
        expected = _sklearn_model(other.mixture).score(X[test])
        assert cand.heldout_log_likelihood == pytest.approx(expected, rel=1e-10)


def test_best_is_the_extreme_of_each_curve(faithful_selection):
    _, selection = faithful_selection
    for kind in selection.covariance_types:
        for criterion in CRITERIA:
            ks, values = selection.curve(criterion, kind)
            np.testing.assert_array_equal(ks, [1, 2, 3])
            pick = np.argmax(values) if criterion == "heldout" else np.argmin(values)
            assert selection.best_k(criterion, kind) == ks[pick]
    overall = selection.best("bic")
    assert overall.bic == min(c.bic for c in selection.candidates)
    with pytest.raises(ValueError, match="criterion"):
        selection.best("likelihood")


def test_holdout_split_is_a_fixed_partition_by_seed():
    train, test = holdout_split(272, 0.2, seed=3)
    again_train, again_test = holdout_split(272, 0.2, seed=3)
    np.testing.assert_array_equal(train, again_train)
    np.testing.assert_array_equal(test, again_test)
    assert test.size == 54 and train.size == 218
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(272))
    other_train, _ = holdout_split(272, 0.2, seed=4)
    assert not np.array_equal(train, other_train)
    with pytest.raises(ValueError):
        holdout_split(10, 1.0)


def test_choose_k_is_deterministic_by_seed():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2))
    a = choose_k(X, 2, ("full", "diag"), seed=11)
    b = choose_k(X, 2, ("full", "diag"), seed=11)
    np.testing.assert_array_equal(a.test_index, holdout_split(120, 0.2, seed=11)[1])
    np.testing.assert_array_equal(a.test_index, b.test_index)
    for ca, cb in zip(a.candidates, b.candidates, strict=True):
        assert ca.heldout_log_likelihood == cb.heldout_log_likelihood
        assert ca.bic == cb.bic
    c = choose_k(X, 2, ("full", "diag"), seed=12)
    assert not np.array_equal(a.test_index, c.test_index)


def test_bic_finds_three_separated_clusters():
    rng = np.random.default_rng(5)
    centres = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    X = np.concatenate([rng.normal(c, 1.0, size=(100, 2)) for c in centres])
    selection = choose_k(X, 5, ("full", "spherical"), seed=0)
    assert selection.best_k("bic", "full") == 3
    assert selection.best_k("bic", "spherical") == 3


def test_k_too_large_for_the_data_is_skipped_not_fatal():
    X = np.array([[0.0], [0.0], [1.0], [1.0], [2.5], [4.0], [4.0]])  # 4 distinct values
    selection = choose_k(X, 6, ("full",), seed=0, n_init=1)
    assert [c.n_components for c in selection.candidates] == [1, 2, 3, 4, 5, 6]
    for cand in selection.candidates[4:]:
        assert cand.mixture is None
        assert "distinct" in cand.skipped
        assert np.isnan(cand.bic) and np.isnan(cand.aic) and np.isnan(cand.heldout_log_likelihood)
    for cand in selection.candidates[:4]:
        # fitted; a degenerate fit (K = 3, 4 collapse onto single values) reports its BIC as
        # missing, as mclust does, and keeps the value in raw_bic
        assert cand.skipped is None and np.isfinite(cand.raw_bic)
        assert np.isnan(cand.bic) == cand.degenerate
    ks, bic = selection.curve("bic", "full")
    assert np.isnan(bic[4:]).all()
    assert selection.best_k("bic", "full") in (1, 2, 3, 4)


def test_cancel_returns_the_candidates_so_far():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    calls = []
    selection = choose_k(
        X,
        4,
        ("full", "diag"),
        seed=0,
        progress=lambda done, total: calls.append((done, total)),
        should_cancel=lambda: len(calls) >= 2,
    )
    assert selection.cancelled
    assert calls == [(1, 8), (2, 8)]
    assert [(c.covariance_type, c.n_components) for c in selection.candidates] == [
        ("full", 1),
        ("full", 2),
    ]


def test_cancel_inside_a_fit_drops_that_candidate():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 1))
    polls = []

    def should_cancel():
        polls.append(1)
        return len(polls) > 3  # during the first fit's iterations

    selection = choose_k(X, 3, ("full",), seed=0, should_cancel=should_cancel)
    assert selection.cancelled
    assert selection.candidates == ()
