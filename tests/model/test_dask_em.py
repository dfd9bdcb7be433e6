"""The chunked EM on Dask (gmm_gui.dask_em) is the in-memory fit."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from dask.distributed import Client, LocalCluster

from gmm_gui.dask_em import DASK_MISSING, fit_dask, npy_array, require_dask
from gmm_gui.model import Prior, fit, init_mixture


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def client(cluster):
    with Client(cluster) as c:
        yield c


def blobs(n=1003, d=2, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 4.0, size=(3, d))
    labels = rng.integers(0, 3, size=n)
    return centres[labels] + rng.normal(size=(n, d))


@pytest.mark.parametrize("cov_type", ["full", "tied", "diag", "spherical"])
def test_two_worker_cluster_gives_the_in_memory_fit(client, cov_type):
    X = blobs()
    start = init_mixture(X, 3, "kmeans++", seed=1, covariance_type=cov_type)
    whole = fit(X, start, covariance_type=cov_type, max_iter=15, tol=0)
    on_dask = fit_dask(X, start, client=client, chunk_rows=100, covariance_type=cov_type,
                       max_iter=15, tol=0)
    assert on_dask.n_iter == whole.n_iter == 15
    for a, b in [(on_dask.mixture.weights, whole.mixture.weights),
                 (on_dask.mixture.means, whole.mixture.means),
                 (on_dask.mixture.covariances, whole.mixture.covariances),
                 (on_dask.history, whole.history)]:
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert on_dask.degenerate_components == whole.degenerate_components


def test_npy_file_read_by_the_workers_with_a_prior(client, tmp_path):
    X = blobs(seed=3)
    path = tmp_path / "x.npy"
    np.save(path, X)
    prior = Prior.default(X, 3)
    start = init_mixture(X, 3, "kmeans++", seed=2)
    whole = fit(X, start, max_iter=50, tol=1e-8, prior=prior)
    on_dask = fit_dask(npy_array(str(path), 128), start, client=client, max_iter=50, tol=1e-8,
                       prior=prior, persist=True)
    assert on_dask.n_iter == whole.n_iter and on_dask.converged == whole.converged
    np.testing.assert_allclose(on_dask.mixture.covariances, whole.mixture.covariances,
                               rtol=1e-10)
    np.testing.assert_allclose(on_dask.history, whole.history, rtol=1e-10)


def test_bad_rows_are_named(client):
    X = blobs()
    X[505, 0] = np.inf
    start = init_mixture(blobs(), 3, "kmeans++", seed=1)
    with pytest.raises(ValueError, match="rows 501-600"):
        fit_dask(X, start, client=client, chunk_rows=100)


def test_an_address_connects_to_a_running_scheduler(cluster):
    X = blobs(seed=4)
    start = init_mixture(X, 3, "kmeans++", seed=4)
    whole = fit(X, start, max_iter=5, tol=0)
    on_dask = fit_dask(X, start, address=cluster.scheduler_address, chunk_rows=300,
                       max_iter=5, tol=0)
    np.testing.assert_allclose(on_dask.mixture.means, whole.mixture.means, rtol=1e-10)
    assert cluster.scheduler.workers  # the cluster is still running: only the client closed


def test_missing_dask_is_one_line_saying_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ImportError) as info:
        require_dask()
    assert str(info.value) == DASK_MISSING
    assert "pip install 'gmm-gui[dask]'" in DASK_MISSING
