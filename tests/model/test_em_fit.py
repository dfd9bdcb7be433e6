"""fit(): callbacks and cancelling, several starts, results; the fast and exact kernels agree."""

from __future__ import annotations

import numpy as np
import pytest

import gmm_gui.model._data as _data
import gmm_gui.model._kernels as _kernels
import gmm_gui.model._moments as _moments
from gmm_gui.model import (
    FitResult,
    Mixture,
    PreparedData,
    StartResult,
    e_step,
    fit,
    init_mixture,
    log_prob_components,
    m_step,
    prepare_data,
    score_samples,
)


def data(seed=0, n_features=2):
    rng = np.random.default_rng(seed)
    return np.r_[
        rng.normal(0.0, 1.0, (150, n_features)),
        rng.normal(5.0, 0.7, (100, n_features)),
        rng.normal(-4.0, 1.5, (80, n_features)),
    ]


def test_on_step_sees_every_iteration_and_can_cancel():
    X = data()
    start = init_mixture(X, 3, "kmeans++", seed=0)
    seen = []

    def on_step(iteration, mixture, mean_ll):
        seen.append((iteration, mixture, mean_ll))
        return iteration < 4

    result = fit(X, start, tol=0, max_iter=50, on_step=on_step)
    assert [s[0] for s in seen] == [1, 2, 3, 4]
    assert result.cancelled and not result.converged
    assert result.n_iter == 4
    assert result.mixture == seen[-1][1]
    assert result.history == tuple(s[2] for s in seen)
    assert result.mean_log_likelihood == result.history[-1]
    assert result.mean_log_likelihood == pytest.approx(score_samples(X, result.mixture).mean())
    # returning None (no opinion) does not cancel
    assert fit(X, start, tol=0, max_iter=6, on_step=lambda *a: None).n_iter == 6


def test_result_fields_are_consistent():
    X = data(1)
    result = fit(X, "kmeans", n_components=3, seed=0)
    assert isinstance(result, FitResult)
    assert result.converged and 1 <= result.n_iter == len(result.history) < 100
    assert result.log_likelihood == pytest.approx(result.mean_log_likelihood * X.shape[0])
    _, total = e_step(X, result.mixture)
    assert result.log_likelihood == pytest.approx(total, rel=1e-12)
    assert len(result.starts) == 1
    (start,) = result.starts
    assert isinstance(start, StartResult)
    assert start.mixture == result.mixture and start.history == result.history
    assert result.initial_mean_log_likelihood == pytest.approx(
        score_samples(X, start.init).mean(), rel=1e-12
    )
    with pytest.raises(AttributeError):
        result.n_iter = 3  # type: ignore[misc]


def test_several_starts_keep_the_best_and_record_all():
    X = data(2)
    result = fit(X, "random_from_data", n_components=3, n_init=5, seed=4)
    assert len(result.starts) == 5
    lls = [s.mean_log_likelihood for s in result.starts]
    best = int(np.argmax(lls))
    assert result.mixture == result.starts[best].mixture
    assert result.mean_log_likelihood == max(lls)
    assert len({s.init.means.tobytes() for s in result.starts}) == 5  # different starts
    again = fit(X, "random_from_data", n_components=3, n_init=5, seed=4)
    assert again.mixture == result.mixture
    with pytest.raises(ValueError, match="n_init must be 1"):
        fit(X, result.mixture, n_init=2)


def test_prepared_data_gives_the_same_results():
    X = data(3)
    prepared = prepare_data(X)
    assert isinstance(prepared, PreparedData)
    m = init_mixture(X, 3, "kmeans", seed=0)
    r1, t1 = e_step(X, m)
    r2, t2 = e_step(prepared, m)
    np.testing.assert_array_equal(r1, r2)
    assert t1 == t2
    assert m_step(prepared, r1) == m_step(X, r1)
    assert fit(prepared, m, max_iter=5).mixture == fit(X, m, max_iter=5).mixture
    with pytest.raises(ValueError, match="columns"):
        e_step(prepared, Mixture([1.0], [[0.0]], [[[1.0]]]))
    assert not prepared.X.flags.writeable


def test_outputs_have_the_documented_shapes():
    X = data(4, n_features=1)[:, 0]  # a 1-D array is n points in one dimension
    m = init_mixture(X, 3, "kmeans", seed=0)
    resp, total = e_step(X, m)
    assert resp.shape == (X.shape[0], 3) and isinstance(total, float)
    assert log_prob_components(X, m).shape == (X.shape[0], 3)
    assert score_samples(X, m).shape == (X.shape[0],)
    np.testing.assert_allclose(
        np.logaddexp.reduce(log_prob_components(X, m), axis=1), score_samples(X, m), rtol=1e-12
    )
    assert total == pytest.approx(score_samples(X, m).sum(), rel=1e-12)


@pytest.mark.parametrize("n_features", [1, 2, 5])
@pytest.mark.parametrize("cov_type", ["full", "tied", "diag", "spherical"])
def test_fast_expansion_and_exact_kernels_agree(monkeypatch, n_features, cov_type):
    X = data(5, n_features) * 10 + 300.0
    start = init_mixture(X, 3, "kmeans", seed=0, covariance_type=cov_type)
    fast = fit(X, start, covariance_type=cov_type, max_iter=15, tol=0)
    log_fast = log_prob_components(X, fast.mixture)
    # Force the exact per-component path for every component...
    monkeypatch.setattr(_kernels, "_FAST_E_BOUND", -1.0)
    monkeypatch.setattr(_moments, "_FAST_M_BOUND", -1.0)
    exact = fit(X, start, covariance_type=cov_type, max_iter=15, tol=0)
    # ...and the path without the monomial matrix (used for large data in many dimensions).
    monkeypatch.setattr(_data, "_MAX_PHI_SIZE", 0)
    no_phi = fit(X, start, covariance_type=cov_type, max_iter=15, tol=0)
    for other in (exact, no_phi):
        np.testing.assert_allclose(other.mixture.means, fast.mixture.means, rtol=1e-10)
        np.testing.assert_allclose(other.mixture.covariances, fast.mixture.covariances, rtol=1e-8)
        np.testing.assert_allclose(other.history, fast.history, rtol=1e-11)
        np.testing.assert_allclose(log_prob_components(X, other.mixture), log_fast, rtol=1e-9)


def test_blocks_cover_every_point(monkeypatch):
    """The E-step works through the points in blocks; a ragged last block is handled."""
    X = data(6)
    m = init_mixture(X, 3, "kmeans", seed=0)
    whole, total = e_step(X, m)
    monkeypatch.setattr(_kernels, "_block_size", lambda n_components: 7)
    monkeypatch.setattr(_moments, "_block_size", lambda n_components: 7)
    blocked, total_b = e_step(X, m)
    np.testing.assert_allclose(blocked, whole, rtol=1e-13, atol=1e-300)
    assert total_b == pytest.approx(total, rel=1e-13)


def test_zero_weight_component_is_minus_infinity_but_resp_is_finite():
    X = data(7)
    m = Mixture([1.0, 0.0], [[0.0, 0.0], [5.0, 5.0]], [np.eye(2), np.eye(2)])
    logp = log_prob_components(X, m)
    assert np.all(logp[:, 1] == -np.inf) and np.all(np.isfinite(logp[:, 0]))
    resp, total = e_step(X, m)
    assert np.all(resp[:, 1] == 0.0) and np.isfinite(total)


def test_far_responsibilities_are_flushed_to_zero_not_left_subnormal():
    """Log-ratios below -700 give exactly 0 (NumPy's exp is many times slower on subnormals)."""
    log_prob = np.array(
        [
            [0.0, 0.0, -3.0, np.nan, 0.0],
            [-1.0, -699.0, -720.0, 0.0, -np.inf],
            [-2.0, -745.0, -5000.0, -1.0, -np.inf],
        ]
    )
    expected_norm = np.log(np.exp(log_prob[:, :2]).sum(axis=0))
    work = log_prob.copy()
    log_norm = _kernels.log_resp_inplace(work)
    resp = work
    np.testing.assert_allclose(log_norm[:2], expected_norm, rtol=1e-15)
    np.testing.assert_allclose(resp[:, 0], np.exp(log_prob[:, 0] - expected_norm[0]), rtol=1e-15)
    assert resp[1, 1] == np.exp(-699.0) and resp[1, 1] > 0  # small but normal: kept
    assert resp[2, 1] == 0.0 and resp[1, 2] == 0.0 and resp[2, 2] == 0.0  # flushed
    assert resp[0, 2] == 1.0 and log_norm[2] == -3.0
    assert np.isnan(resp[:, 3]).all() and np.isnan(log_norm[3])  # NaN is not hidden
    assert resp[1, 4] == 0.0 and resp[2, 4] == 0.0 and resp[0, 4] == 1.0  # zero weights stay 0
    finite = np.isfinite(resp).all(axis=0)
    assert not (np.abs(resp[:, finite]) < np.finfo(float).tiny)[resp[:, finite] != 0].any()
