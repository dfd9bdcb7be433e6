"""Parameters from sufficient statistics (gmm_gui.model._kernels.parameters_from_stats).

The M-step of a single fit and the batched EM of the maps both turn the summed monomial
statistics into counts, means and covariances with this one function; statistics of chunks of
the data add up to those of the whole (what chunked EM will build on).
"""

from __future__ import annotations

import numpy as np
import pytest

from gmm_gui.model import COVARIANCE, m_step, prepare_data
from gmm_gui.model._kernels import parameters_from_stats, sufficient_stats


@pytest.fixture(scope="module")
def data_and_resp():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(600, 3)) * [1.0, 3.0, 0.5] + [5.0, -2.0, 1.0]
    resp = rng.random((600, 4)) ** 3
    resp /= resp.sum(axis=1, keepdims=True)
    return prepare_data(X), resp


def direct(X, resp):
    nk = resp.sum(axis=0)
    means = resp.T @ X / nk[:, None]
    diff = X[None, :, :] - means[:, None, :]
    cov = np.einsum("nk,kni,knj->kij", resp, diff, diff) / nk[:, None, None]
    return nk, means, cov


def test_counts_means_and_covariances_are_the_weighted_ones(data_and_resp):
    data, resp = data_and_resp
    nk, means, raw = parameters_from_stats(sufficient_stats(data, resp).T, data.offset, data.pairs)
    want_nk, want_means, want_cov = direct(np.asarray(data.X), resp)
    np.testing.assert_allclose(nk, want_nk, rtol=1e-12)
    np.testing.assert_allclose(means, want_means, rtol=1e-12)
    np.testing.assert_allclose(raw, want_cov, rtol=1e-10)
    np.testing.assert_array_equal(raw, np.swapaxes(raw, 1, 2))


def test_statistics_of_chunks_add_up_to_those_of_the_whole(data_and_resp):
    data, resp = data_and_resp
    whole = sufficient_stats(data, resp)
    phi = data.monomials()
    chunks = sum(phi[:, a : a + 250] @ resp[a : a + 250] for a in range(0, data.n_samples, 250))
    np.testing.assert_allclose(chunks, whole, rtol=1e-12)
    from_chunks = parameters_from_stats(chunks.T, data.offset, data.pairs)
    from_whole = parameters_from_stats(whole.T, data.offset, data.pairs)
    for got, want in zip(from_chunks, from_whole, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10)


def test_a_batch_axis_gives_each_item_its_own_parameters(data_and_resp):
    data, resp = data_and_resp
    stats = np.stack([sufficient_stats(data, resp).T, sufficient_stats(data, resp[:, ::-1]).T])
    batched = parameters_from_stats(stats, data.offset, data.pairs)
    for b in range(2):
        single = parameters_from_stats(stats[b], data.offset, data.pairs)
        for got, want in zip(batched, single, strict=True):
            np.testing.assert_array_equal(got[b], want)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_the_m_step_is_the_constrained_statistics(data_and_resp, covariance_type):
    data, resp = data_and_resp
    nk, means, raw = parameters_from_stats(sufficient_stats(data, resp).T, data.offset, data.pairs)
    mixture = m_step(data, resp, covariance_type, reg_covar=1e-3)
    np.testing.assert_allclose(mixture.means, means, rtol=1e-12)
    np.testing.assert_allclose(mixture.weights, nk / nk.sum(), rtol=1e-12)
    want = COVARIANCE[covariance_type].constrain(raw, nk, 1e-3)
    np.testing.assert_allclose(mixture.covariances, want, rtol=1e-10)


def test_monomials_are_built_on_demand_when_too_large_to_keep(monkeypatch, data_and_resp):
    import gmm_gui.model._kernels as _kernels

    data, _ = data_and_resp
    monkeypatch.setattr(_kernels, "_MAX_PHI_SIZE", 0)
    big = prepare_data(np.asarray(data.X))
    assert big.phi is None
    np.testing.assert_array_equal(big.monomials(), data.phi)
    np.testing.assert_array_equal(big.xt, data.xt)
