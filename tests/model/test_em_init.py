"""Initialisers with scikit-learn's meanings, and k-means against scikit-learn's KMeans."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture

from gmm_gui.model import INIT_METHODS, init_mixture, kmeans, kmeans_plusplus

COV_TYPES = ("full", "tied", "diag", "spherical")


def blobs(seed=0, n_features=2):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])[:, :n_features]
    sizes = [80, 60, 100, 40]
    parts = [c + rng.normal(size=(s, n_features)) for c, s in zip(centres, sizes, strict=True)]
    return np.vstack(parts)


def test_kmeans_matches_sklearn_inertia_on_a_clear_case():
    X = blobs()
    ours = kmeans(X, 4, seed=0)
    ref = KMeans(4, n_init=1, random_state=0).fit(X)
    assert ours.inertia == pytest.approx(ref.inertia_, rel=1e-10)
    order = np.lexsort(ours.centers.T)
    ref_order = np.lexsort(ref.cluster_centers_.T)
    np.testing.assert_allclose(ours.centers[order], ref.cluster_centers_[ref_order], rtol=1e-10)
    # the labels are the nearest centres and the inertia is their squared distance
    d2 = ((X[:, None, :] - ours.centers[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(ours.labels, d2.argmin(axis=1))
    assert ours.inertia == pytest.approx(d2.min(axis=1).sum(), rel=1e-12)
    assert ours.n_iter >= 1


def test_kmeans_n_init_keeps_the_best_and_seed_is_reproducible():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))  # no clear clusters: runs differ
    runs = [kmeans(X, 6, seed=s).inertia for s in range(5)]
    best = kmeans(X, 6, seed=np.random.default_rng(0), n_init=5)
    assert best.inertia <= max(runs)
    assert kmeans(X, 6, seed=3).inertia == kmeans(X, 6, seed=3).inertia
    ref = KMeans(6, n_init=10, random_state=0).fit(X).inertia_
    assert kmeans(X, 6, seed=0, n_init=10).inertia == pytest.approx(ref, rel=0.05)


def test_kmeans_plusplus_picks_distinct_data_points_spread_out():
    X = blobs(2)
    centers, idx = kmeans_plusplus(X, 4, seed=0)
    np.testing.assert_array_equal(centers, X[idx])
    assert len(set(idx.tolist())) == 4
    # on well separated blobs, k-means++ puts one centre in each blob
    blob_of = np.repeat(np.arange(4), [80, 60, 100, 40])
    assert sorted(blob_of[idx].tolist()) == [0, 1, 2, 3]


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_kmeans_init_is_sklearns(cov_type):
    X = blobs(3)
    ours = init_mixture(X, 4, "kmeans", seed=0, covariance_type=cov_type)
    gm = GaussianMixture(4, covariance_type=cov_type, init_params="kmeans", random_state=0)
    gm._initialize_parameters(X, np.random.RandomState(0))
    order = np.lexsort(ours.means.T)
    ref = np.lexsort(gm.means_.T)
    np.testing.assert_allclose(ours.means[order], gm.means_[ref], rtol=1e-10)
    np.testing.assert_allclose(ours.weights[order], gm.weights_[ref], rtol=1e-10)
    sk_cov = gm.covariances_ if cov_type == "tied" else gm.covariances_[ref]
    ours_cov = ours.compact_covariances()
    ours_cov = ours_cov if cov_type == "tied" else ours_cov[order]
    np.testing.assert_allclose(ours_cov, sk_cov, rtol=1e-10)


@pytest.mark.parametrize("method", ["kmeans++", "k-means++", "random_from_data"])
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_point_initialisers_start_at_data_points_with_reg_covar_spread(method, cov_type):
    X = blobs(4)
    m = init_mixture(X, 4, method, seed=1, covariance_type=cov_type, reg_covar=1e-3)
    # each mean is a data point (up to scikit-learn's nk = 1 + 10 eps)
    d = np.abs(X[None, :, :] - m.means[:, None, :]).max(axis=2).min(axis=1)
    assert np.all(d < 1e-12)
    assert len({tuple(row) for row in np.round(m.means, 9)}) == 4
    np.testing.assert_allclose(
        m.covariances, np.broadcast_to(1e-3 * np.eye(2), (4, 2, 2)), rtol=1e-9, atol=1e-20
    )
    np.testing.assert_allclose(m.weights, 0.25)
    assert m.covariance_type == cov_type


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_random_init_is_an_m_step_from_random_responsibilities(cov_type):
    X = blobs(5)
    m = init_mixture(X, 3, "random", seed=2, covariance_type=cov_type)
    rng = np.random.default_rng(2)
    resp = rng.uniform(size=(X.shape[0], 3))
    resp /= resp.sum(axis=1, keepdims=True)
    gm = GaussianMixture(3, covariance_type=cov_type)
    gm._initialize(X, resp)
    np.testing.assert_allclose(m.means, gm.means_, rtol=1e-10)
    np.testing.assert_allclose(m.weights, gm.weights_, rtol=1e-10)
    np.testing.assert_allclose(m.compact_covariances(), gm.covariances_, rtol=1e-10)


@pytest.mark.parametrize("method", INIT_METHODS)
def test_initialisers_are_reproducible_by_seed(method):
    X = blobs(6)
    a = init_mixture(X, 3, method, seed=11)
    assert a == init_mixture(X, 3, method, seed=11)
    others = [init_mixture(X, 3, method, seed=s) for s in range(12, 16)]
    assert any(o != a for o in others)


def test_one_dimensional_input_is_accepted():
    x = np.r_[np.random.default_rng(0).normal(0, 1, 50), np.random.default_rng(1).normal(8, 1, 50)]
    m = init_mixture(x, 2, "kmeans", seed=0)
    assert m.n_features == 1
    assert sorted(np.round(m.means.ravel())) == [0.0, 8.0]
