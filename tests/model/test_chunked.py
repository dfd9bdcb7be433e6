"""Chunked EM (gmm_gui.model.chunked) is the in-memory fit, chunk by chunk."""

from __future__ import annotations

import numpy as np
import pytest

import gmm_gui.model._moments as _moments
from gmm_gui.model import Mixture, Prior, fit, init_mixture, prepare_data
from gmm_gui.model.chunked import chunk_stats, fit_chunked, summarise_chunks

COV_TYPES = ("full", "tied", "diag", "spherical")


def blobs(n=1003, d=2, seed=0, far=0.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 4.0, size=(3, d)) + far
    labels = rng.integers(0, 3, size=n)
    return centres[labels] + rng.normal(size=(n, d)) * rng.uniform(0.5, 1.5, size=(3, d))[labels]


def chunks_of(X, rows):
    return lambda: (X[i : i + rows] for i in range(0, X.shape[0], rows))


def assert_same_fit(chunked, whole, rtol=1e-10):
    assert chunked.n_iter == whole.n_iter
    assert chunked.converged == whole.converged
    np.testing.assert_allclose(chunked.mixture.weights, whole.mixture.weights, rtol=rtol)
    np.testing.assert_allclose(chunked.mixture.means, whole.mixture.means, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(
        chunked.mixture.covariances, whole.mixture.covariances, rtol=rtol, atol=1e-12
    )
    np.testing.assert_allclose(chunked.history, whole.history, rtol=rtol)
    assert chunked.mean_log_likelihood == pytest.approx(whole.mean_log_likelihood, rel=rtol)
    assert chunked.initial_mean_log_likelihood == pytest.approx(
        whole.initial_mean_log_likelihood, rel=rtol
    )
    assert chunked.degenerate_components == whole.degenerate_components
    assert [(i.component, i.kind, i.iteration) for i in chunked.issues] == [
        (i.component, i.kind, i.iteration) for i in whole.issues
    ]
    assert chunked.mixture.covariance_type == whole.mixture.covariance_type


@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("d", [1, 2, 3])
def test_chunked_fit_equals_in_memory_fit(cov_type, d):
    X = blobs(d=d)
    start = init_mixture(X, 3, "kmeans++", seed=1, covariance_type=cov_type)
    whole = fit(X, start, covariance_type=cov_type, max_iter=25, tol=0)
    chunked = fit_chunked(
        chunks_of(X, 100), start, n_samples=1003, n_features=d, covariance_type=cov_type,
        max_iter=25, tol=0,
    )
    assert whole.n_iter == 25
    assert_same_fit(chunked, whole)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_chunked_fit_with_prior_equals_in_memory_fit(cov_type):
    X = blobs(seed=2)
    prior = Prior.default(X, 3)
    start = init_mixture(X, 3, "kmeans++", seed=3, covariance_type=cov_type)
    whole = fit(X, start, covariance_type=cov_type, max_iter=20, tol=1e-9, prior=prior)
    chunked = fit_chunked(
        chunks_of(X, 100), start, covariance_type=cov_type, max_iter=20, tol=1e-9, prior=prior
    )
    assert chunked.prior == prior
    assert chunked.mean_log_posterior == pytest.approx(whole.mean_log_posterior, rel=1e-10)
    assert_same_fit(chunked, whole)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_converged_fit_stops_at_the_same_iteration(cov_type):
    X = blobs(seed=4)
    start = init_mixture(X, 3, "random_from_data", seed=4, covariance_type=cov_type)
    whole = fit(X, start, covariance_type=cov_type, max_iter=500, tol=1e-6)
    chunked = fit_chunked(chunks_of(X, 97), start, covariance_type=cov_type, max_iter=500,
                          tol=1e-6)
    assert whole.converged
    assert_same_fit(chunked, whole)


def test_collapse_is_diagnosed_the_same():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0.0, 1.0, 1002), [12.0]][:, None]
    start = Mixture([0.5, 0.5], [[0.0], [12.0]], [[[1.0]], [[0.5]]])
    whole = fit(X, start, max_iter=10, tol=0)
    chunked = fit_chunked(chunks_of(X, 100), start, max_iter=10, tol=0)
    assert whole.degenerate_components == (1,)
    assert any(i.kind == "collapsed" for i in whole.issues)
    assert_same_fit(chunked, whole)


def test_far_narrow_components_take_the_exact_second_pass(monkeypatch):
    """Data far from the origin with a tiny spread: the expansion loses digits, both fits
    recompute those covariances from differences (chunked: a second pass), and agree."""
    X = blobs(seed=5) * 1e-3 + 1e4
    start = init_mixture(X, 3, "kmeans", seed=5)
    calls = []
    real = _moments.exact_scatter

    def counting(*args):
        calls.append(1)
        return real(*args)

    # force every component through the exact path: a bound of -1 is never met
    monkeypatch.setattr(_moments, "_FAST_M_BOUND", -1.0)
    whole = fit(X, start, max_iter=10, tol=0)
    import gmm_gui.model._passes as passes_module

    monkeypatch.setattr(passes_module, "exact_scatter", counting)
    chunked = fit_chunked(chunks_of(X, 100), start, max_iter=10, tol=0)
    assert len(calls) == 10 * 3 * 11  # iterations x components x chunks
    assert_same_fit(chunked, whole)


def test_first_pass_finds_the_in_memory_centre():
    X = blobs(d=3, seed=6) + 50.0
    summary = summarise_chunks(chunks_of(X, 100)())
    data = prepare_data(X)
    centre = summary.centre()
    assert summary.n_samples == 1003
    np.testing.assert_allclose(centre.offset, data.offset, rtol=1e-14)
    np.testing.assert_allclose(centre.extent, data.extent, rtol=1e-12)
    assert centre.data_var == pytest.approx(data.data_var, rel=1e-12)


def test_chunk_statistics_add_up_to_the_whole():
    X = blobs(seed=7)
    m = init_mixture(X, 3, "kmeans++", seed=7)
    centre = summarise_chunks([X]).centre()
    args = (centre, m.weights, m.means, m.precisions_cholesky)
    whole, ll = chunk_stats(X, *args)
    parts = [chunk_stats(X[i : i + 100], *args) for i in range(0, 1003, 100)]
    np.testing.assert_allclose(sum(p[0] for p in parts), whole, rtol=1e-12)
    assert sum(p[1] for p in parts) == pytest.approx(ll, rel=1e-13)
    np.testing.assert_allclose(whole[0].sum(), 1003.0, rtol=1e-13)


def test_bad_chunks_are_refused_with_their_rows():
    X = blobs()
    X[250, 1] = np.nan
    start = init_mixture(blobs(), 3, "kmeans++", seed=0)
    with pytest.raises(ValueError, match="rows 201-300"):
        fit_chunked(chunks_of(X, 100), start)
    with pytest.raises(ValueError, match="n_samples is 5"):
        fit_chunked(chunks_of(blobs(), 100), start, n_samples=5)
    with pytest.raises(ValueError, match="constant"):
        fit_chunked(chunks_of(np.c_[np.arange(300.0), np.ones(300)], 100), start)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_fit_of_data_too_large_for_monomials_runs_the_chunked_passes(monkeypatch, cov_type):
    """fit() on an array too large to keep its monomials slices it into chunks: same fit."""
    import gmm_gui.model._data as _data
    import gmm_gui.model.em as em

    X = blobs(seed=8)
    start = init_mixture(X, 3, "kmeans++", seed=8, covariance_type=cov_type)
    whole = fit(X, start, covariance_type=cov_type, max_iter=20, tol=0)
    monkeypatch.setattr(_data, "_MAX_PHI_SIZE", 0)
    monkeypatch.setattr(em, "_SLICE_ROWS", 100)
    assert prepare_data(X).phi is None
    sliced = fit(X, start, covariance_type=cov_type, max_iter=20, tol=0)
    assert_same_fit(sliced, whole)
