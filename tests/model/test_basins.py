"""Basin-of-attraction maps and the batched EM behind them (gmm_gui.model.basins)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from gmm_gui.model import Mixture, fit, init_mixture
from gmm_gui.model.basins import (
    FAILED,
    NOT_COMPUTED,
    basin_map_1d,
    basin_map_2d,
    fit_batch,
)
from gmm_gui.model.convergence import RUN_MAX_ITER, RUN_TOL
from gmm_gui.model.restarts import data_scale, same_maximum


def _load(folder, name, columns):
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as handle:
        rows = [[float(row[c]) for c in columns] for row in csv.DictReader(handle)]
    return np.array(rows)


@pytest.fixture(scope="module")
def two_clusters():
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(-5, 1, 100), rng.normal(5, 1, 100)])[:, None]


@pytest.fixture
def davis_height(datasets_dir):
    return _load(datasets_dir, "Davis", ["height"])


@pytest.fixture
def faithful(datasets_dir):
    return _load(datasets_dir, "faithful", ["eruptions", "waiting"])


def _single_gaussian_ll(X):
    var = X.var() + 1e-6
    return -0.5 * np.log(2 * np.pi * var) - 0.5 * X.var() / var


def test_basin_map_of_two_separated_clusters(two_clusters):
    X = two_clusters
    grid = np.array([-40.0, -30.0, -5.0, -4.5, 4.5, 5.0])
    start = Mixture([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    bmap = basin_map_1d(X, start, grid, grid)
    assert bmap.shape == (6, 6) and not bmap.cancelled
    ids = bmap.solution_id
    assert np.all(ids >= 0)
    assert sum(s.count for s in bmap.solutions) == 36

    # One mean on each cluster, either way round: the same (best) solution, the two clusters.
    good = ids[2, 4]
    assert good == 0
    assert ids[2:4, 4:6].tolist() == [[good] * 2] * 2
    assert ids[4:6, 2:4].tolist() == [[good] * 2] * 2
    solution = bmap.solutions[good]
    found = np.sort(solution.mixture.means[:, 0])
    np.testing.assert_allclose(found, [X[:100].mean(), X[100:].mean()], atol=0.05)
    assert solution.mean_log_likelihood == max(s.mean_log_likelihood for s in bmap.solutions)

    # Equal starting means stay equal (the start is symmetric): every diagonal cell ends at the
    # saddle where both components are the one Gaussian of all the data.
    diagonal = {int(ids[i, i]) for i in range(6)}
    assert len(diagonal) == 1
    saddle = bmap.solutions[diagonal.pop()]
    np.testing.assert_allclose(saddle.mixture.means[:, 0], X.mean(), atol=1e-6)
    np.testing.assert_allclose(saddle.mixture.covariances[:, 0, 0], X.var() + 1e-6, rtol=1e-5)
    assert saddle.mean_log_likelihood == pytest.approx(_single_gaussian_ll(X), abs=1e-8)

    # Both means far to the left: the farther one owns no point and empties; the other becomes
    # the one Gaussian. Same likelihood as the saddle, but a different solution.
    far = ids[0, 1]
    assert ids[1, 0] == far
    assert far not in (good, ids[0, 0])
    emptied = bmap.solutions[far]
    assert emptied.mixture.weights.min() < 1e-10
    assert emptied.mean_log_likelihood == pytest.approx(_single_gaussian_ll(X), abs=1e-8)

    # A mirrored cell is the same run with the components swapped, and what fit() gives.
    assert bmap.mean_log_likelihood[4, 2] == bmap.mean_log_likelihood[2, 4]
    assert bmap.n_iter[4, 2] == bmap.n_iter[2, 4]
    for i, j in [(4, 2), (2, 4), (1, 0), (3, 3)]:
        result = fit(X, bmap.start_at(i, j), tol=RUN_TOL, max_iter=RUN_MAX_ITER)
        assert bmap.n_iter[i, j] == result.n_iter
        assert bmap.mean_log_likelihood[i, j] == pytest.approx(
            result.mean_log_likelihood, rel=1e-9
        )


def test_asymmetric_start_fits_every_cell(two_clusters):
    X = two_clusters
    grid = np.array([-5.0, -4.0, 4.0, 5.0])
    start = Mixture([0.4, 0.6], [[0.0], [1.0]], [[[1.0]], [[2.0]]])
    bmap = basin_map_1d(X, start, grid, grid)
    assert bmap.solution_id[0, 3] == bmap.solution_id[3, 0] == 0
    for i, j in [(0, 3), (3, 0), (1, 1)]:
        result = fit(X, bmap.start_at(i, j), tol=RUN_TOL, max_iter=RUN_MAX_ITER)
        assert bmap.n_iter[i, j] == result.n_iter
        assert bmap.mean_log_likelihood[i, j] == pytest.approx(
            result.mean_log_likelihood, rel=1e-9
        )


def test_basin_map_1d_cells_agree_with_engine_fit(davis_height):
    X = davis_height
    var = X.var()
    start = Mixture([0.3, 0.7], [[160.0], [175.0]], [[[var / 2]], [[var]]])
    grid_a = np.linspace(X.min(), X.max(), 5)
    grid_b = np.linspace(150, 190, 4)
    # tol and max_iter as before RUN_TOL: at 1e-10 the batch, which sums moments, and fit differ
    # by round-off (~1e-9 per point) on cells collapsed onto the 57 cm entry (see below)
    bmap = basin_map_1d(X, start, grid_a, grid_b, tol=1e-6, max_iter=500)
    assert bmap.shape == (5, 4)
    scale = data_scale(X)
    for i in range(5):
        for j in range(4):
            cell_start = bmap.start_at(i, j)
            assert cell_start.means[0, 0] == grid_a[i] and cell_start.means[1, 0] == grid_b[j]
            np.testing.assert_array_equal(cell_start.covariances, start.covariances)
            result = fit(X, cell_start, tol=1e-6, max_iter=500)
            assert bmap.n_iter[i, j] == result.n_iter
            assert bmap.converged[i, j] == result.converged
            assert bmap.mean_log_likelihood[i, j] == pytest.approx(
                result.mean_log_likelihood, rel=1e-6
            )
            solution = bmap.solution_at(i, j)
            assert same_maximum(
                solution.mixture,
                solution.mean_log_likelihood,
                result.mixture,
                result.mean_log_likelihood,
                scale,
                n_samples=X.shape[0],
            )


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_fit_batch_matches_engine_fit_in_2d(faithful, covariance_type):
    X = faithful
    starts = [
        init_mixture(X, 2, "random_from_data", seed=s, covariance_type=covariance_type)
        for s in range(4)
    ]
    batch = fit_batch(
        X,
        np.stack([s.weights for s in starts]),
        np.stack([s.means for s in starts]),
        np.stack([s.covariances for s in starts]),
        covariance_type=covariance_type,
        tol=1e-6,
        max_iter=300,
    )
    assert batch.done.all() and not batch.failed.any() and not batch.cancelled
    for s, start in enumerate(starts):
        result = fit(X, start, covariance_type=covariance_type, tol=1e-6, max_iter=300)
        assert batch.n_iter[s] == result.n_iter
        assert batch.converged[s] == result.converged
        assert batch.mean_log_likelihood[s] == pytest.approx(result.mean_log_likelihood, rel=1e-9)
        np.testing.assert_allclose(batch.weights[s], result.mixture.weights, rtol=1e-6)
        np.testing.assert_allclose(batch.means[s], result.mixture.means, rtol=1e-6)
        np.testing.assert_allclose(batch.covariances[s], result.mixture.covariances, rtol=1e-6,
                                   atol=1e-12)


@pytest.mark.parametrize(
    ("name", "columns"), [("galaxies", ["x"]), ("iris", ["Petal.Length", "Petal.Width"])]
)
def test_fit_batch_matches_engine_with_three_components(datasets_dir, name, columns):
    X = _load(datasets_dir, name, columns)
    starts = [init_mixture(X, 3, "kmeans++", seed=s) for s in range(3)]
    batch = fit_batch(
        X,
        np.stack([s.weights for s in starts]),
        np.stack([s.means for s in starts]),
        np.stack([s.covariances for s in starts]),
        tol=1e-6,
        max_iter=400,
    )
    for s, start in enumerate(starts):
        result = fit(X, start, tol=1e-6, max_iter=400)
        assert batch.n_iter[s] == result.n_iter
        assert batch.mean_log_likelihood[s] == pytest.approx(result.mean_log_likelihood, rel=1e-9)
        np.testing.assert_allclose(batch.means[s], result.mixture.means, rtol=1e-6)
        np.testing.assert_allclose(batch.covariances[s], result.mixture.covariances, rtol=1e-6)


def test_fit_batch_stops_at_max_iter_like_fit(faithful):
    start = init_mixture(faithful, 2, "random_from_data", seed=0)
    args = (start.weights[None], start.means[None], start.covariances[None])
    batch = fit_batch(faithful, *args, max_iter=3, tol=0.0)
    result = fit(faithful, start, max_iter=3, tol=0.0)
    assert batch.n_iter[0] == result.n_iter == 3
    assert not batch.converged[0] and not result.converged
    assert batch.mean_log_likelihood[0] == pytest.approx(result.mean_log_likelihood, rel=1e-12)


def test_a_run_whose_covariance_breaks_down_is_marked_failed():
    # One isolated point and a narrow component on it: without reg_covar its variance becomes 0.
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(0, 1, 50), [30.0]])[:, None]
    start = Mixture([0.9, 0.1], [[0.0], [30.0]], [[[1.0]], [[0.5]]])
    batch = fit_batch(
        X, start.weights[None], start.means[None], start.covariances[None],
        reg_covar=0.0, tol=1e-9, max_iter=50,
    )
    assert batch.failed[0] and batch.done[0] and not batch.converged[0]
    # it stops at its last valid mixture, as fit() does
    np.testing.assert_array_equal(batch.means[0], start.means)
    bmap = basin_map_1d(X, start, [0.0, 1.0], [30.0], reg_covar=0.0, tol=1e-9, max_iter=50)
    np.testing.assert_array_equal(bmap.solution_id, [[FAILED], [FAILED]])
    assert np.all(np.isnan(bmap.mean_log_likelihood))
    assert bmap.solutions == ()
    assert bmap.solution_at(0, 0) is None
    # with the usual reg_covar the same starts run to a (collapsed) maximum
    bmap = basin_map_1d(X, start, [0.0, 1.0], [30.0])
    assert np.all(bmap.solution_id == 0)


def test_basin_map_flags_degenerate_cells_and_proper_ones_agree_with_fit(davis_height):
    X = davis_height
    # sd 8 cm: nearly every start collapses onto the 57 cm entry; two equal starting means
    # (the corners) stay one Gaussian twice, a proper (saddle) solution
    start = Mixture([0.5, 0.5], [[160.0], [175.0]], [[[64.0]], [[64.0]]])
    grid_a = np.linspace(150, 190, 5)
    grid_b = np.linspace(150, 190, 4)
    bmap = basin_map_1d(X, start, grid_a, grid_b)  # RUN_TOL, RUN_MAX_ITER
    assert bmap.degenerate is not None
    n_proper = 0
    for i in range(5):
        for j in range(4):
            result = fit(X, bmap.start_at(i, j), tol=RUN_TOL, max_iter=RUN_MAX_ITER)
            solution = bmap.solution_at(i, j)
            assert bmap.degenerate[i, j] == result.degenerate == solution.degenerate
            if not result.degenerate:
                n_proper += 1
                assert bmap.n_iter[i, j] == result.n_iter
                assert bmap.converged[i, j] == result.converged
    assert 0 < n_proper < 20  # both kinds on this grid
    assert bmap.degenerate.any()
    # a solution is all one kind, and the collapsed ones are named
    for s, solution in enumerate(bmap.solutions):
        assert np.all(bmap.degenerate[bmap.solution_id == s] == solution.degenerate)
    assert any(s.degenerate for s in bmap.solutions)
    assert any(not s.degenerate for s in bmap.solutions)


def test_fit_batch_with_a_prior_follows_fit(faithful):
    from gmm_gui.model.prior import Prior

    X = faithful
    prior = Prior.default(X, 2)
    rng = np.random.default_rng(4)
    starts = [init_mixture(X, 2, "random_from_data", seed=int(s)) for s in rng.integers(0, 99, 3)]
    for cov_type in ("full", "diag", "spherical", "tied"):
        starts_t = [s.as_type(cov_type) for s in starts]
        batch = fit_batch(
            X,
            np.stack([s.weights for s in starts_t]),
            np.stack([s.means for s in starts_t]),
            np.stack([s.covariances for s in starts_t]),
            covariance_type=cov_type,
            prior=prior,
            n_threads=1,
        )
        for k, start in enumerate(starts_t):
            result = fit(X, start, covariance_type=cov_type, prior=prior, tol=1e-6, max_iter=500)
            assert batch.n_iter[k] == result.n_iter
            np.testing.assert_allclose(batch.means[k], result.mixture.means, rtol=1e-8)
            np.testing.assert_allclose(batch.covariances[k], result.mixture.covariances,
                                       rtol=1e-8)
            assert batch.mean_log_posterior[k] == pytest.approx(result.mean_log_posterior,
                                                                rel=1e-10)
            assert batch.mean_log_likelihood[k] == pytest.approx(result.mean_log_likelihood,
                                                                 rel=1e-10)


def test_basin_map_2d_layout_and_cells(faithful):
    X = faithful
    cov = np.cov(X.T)
    start = Mixture([0.5, 0.5], [[2.0, 55.0], [4.5, 80.0]], [cov, cov / 2])
    grid_x = np.linspace(1.5, 5.0, 5)
    grid_y = np.linspace(45, 95, 3)
    # the settings before RUN_TOL: a cell collapses, where batch and fit differ by round-off
    bmap = basin_map_2d(X, start, 1, grid_x, grid_y, tol=1e-6, max_iter=500)
    assert bmap.shape == (3, 5)
    assert bmap.mean_log_likelihood.shape == bmap.solution_id.shape == bmap.n_iter.shape == (3, 5)
    for i, j in [(0, 0), (2, 4), (1, 2), (2, 0)]:
        cell = bmap.start_at(i, j)
        np.testing.assert_array_equal(cell.means[1], [grid_x[j], grid_y[i]])
        np.testing.assert_array_equal(cell.means[0], start.means[0])
        result = fit(X, cell, tol=1e-6, max_iter=500)
        assert bmap.n_iter[i, j] == result.n_iter
        assert bmap.mean_log_likelihood[i, j] == pytest.approx(
            result.mean_log_likelihood, rel=1e-6
        )
    # the two-cluster answer is reached from most starts and is the best
    assert bmap.solutions[0].count >= 8
    means = bmap.solutions[0].mixture.means
    assert means[np.argmin(means[:, 0]), 1] < 60 < means[np.argmax(means[:, 0]), 1]


def test_cancel_gives_a_partial_map(two_clusters):
    X = two_clusters
    grid = np.linspace(-6, 6, 8)
    start = Mixture([0.3, 0.7], [[0.0], [1.0]], [[[1.0]], [[2.0]]])
    full = basin_map_1d(X, start, grid, grid, n_threads=1)
    calls = []

    def progress(done, total):
        calls.append((done, total))

    # pools of 4 starts (4 * 2 components * 200 points): a few cells finish, then cancel
    partial = basin_map_1d(
        X, start, grid, grid, n_threads=1, chunk_elements=1600, progress=progress,
        should_cancel=lambda: len(calls) >= 1,
    )
    assert partial.cancelled
    assert 0 < partial.n_done < 64
    done = partial.solution_id != NOT_COMPUTED
    assert np.count_nonzero(done) == calls[-1][0]
    assert np.all(np.isnan(partial.mean_log_likelihood[~done]))
    np.testing.assert_array_equal(
        partial.mean_log_likelihood[done], full.mean_log_likelihood[done]
    )
    np.testing.assert_array_equal(partial.n_iter[done], full.n_iter[done])


def test_threads_give_the_same_map_and_cancel(two_clusters):
    X = two_clusters
    grid = np.linspace(-6, 6, 7)
    start = Mixture([0.3, 0.7], [[0.0], [1.0]], [[[1.0]], [[2.0]]])
    calls = []
    one = basin_map_1d(X, start, grid, grid, n_threads=1)
    two = basin_map_1d(
        X, start, grid, grid, n_threads=2, chunk_elements=2000,
        progress=lambda d, t: calls.append((d, t)),
    )
    # the pools differ, so do the matrix products' round-off
    np.testing.assert_allclose(one.mean_log_likelihood, two.mean_log_likelihood, rtol=1e-12)
    np.testing.assert_array_equal(one.solution_id, two.solution_id)
    np.testing.assert_array_equal(one.n_iter, two.n_iter)
    assert calls[-1] == (49, 49)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)

    stopped = basin_map_1d(X, start, grid, grid, n_threads=2, should_cancel=lambda: True)
    assert stopped.cancelled and stopped.n_done == 0
    assert np.all(stopped.solution_id == NOT_COMPUTED)


def test_basin_maps_refuse_wrong_shapes(two_clusters, faithful):
    one_d = Mixture([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    with pytest.raises(ValueError, match="1-D"):
        basin_map_1d(two_clusters, Mixture([1.0], [[0.0, 0.0]], [np.eye(2)]), [0], [0])
    with pytest.raises(ValueError, match="two different components"):
        basin_map_1d(two_clusters, one_d, [0], [0], components=(1, 1))
    with pytest.raises(ValueError, match="shape"):
        basin_map_1d(faithful, one_d, [0], [0])
    with pytest.raises(ValueError, match="2-D"):
        basin_map_2d(faithful, one_d, 0, [0], [0])
    with pytest.raises(ValueError, match="component"):
        basin_map_2d(faithful, Mixture([1.0], [[0.0, 0.0]], [np.eye(2)]), 3, [0], [0])
