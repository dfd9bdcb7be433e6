"""Restarts and the grouping of the local maxima they reach (gmm_gui.model.restarts)."""

from __future__ import annotations

import numpy as np
import pytest

from gmm_gui.model import Mixture, draw_start, fit
from gmm_gui.model.convergence import RUN_MAX_ITER, RUN_TOL
from gmm_gui.model.restarts import (
    RestartRun,
    best_run,
    data_scale,
    group_maxima,
    identify_maxima,
    match_components,
    run_restarts,
    run_seeds,
    same_maximum,
)


def _run(index, mixture, ll):
    return RestartRun(
        index=index,
        seed=index,
        start=mixture,
        mixture=mixture,
        mean_log_likelihood=ll,
        n_iter=10,
        converged=True,
    )


def _mixture(weights, means, variances):
    means = np.asarray(means, dtype=float).reshape(len(weights), -1)
    d = means.shape[1]
    covs = np.array([v * np.eye(d) for v in variances])
    return Mixture(weights, means, covs)


A = _mixture([0.3, 0.5, 0.2], [[0, 0], [5, 5], [10, 0]], [1.0, 2.0, 1.0])
A_PERMUTED = _mixture([0.5, 0.2, 0.3], [[5.02, 5], [10, 0.01], [0, 0]], [2.0, 1.0, 1.0])
B = _mixture([0.6, 0.2, 0.2], [[2, 2], [5, 5], [10, 0]], [3.0, 2.0, 1.0])


def test_permuted_runs_at_the_same_maximum_are_grouped():
    runs = [_run(0, A, -3.2), _run(1, B, -3.5), _run(2, A_PERMUTED, -3.2003), _run(3, A, -3.2001)]
    groups = group_maxima(runs, np.ones(2), n_samples=100)
    assert [g.count for g in groups] == [3, 1]
    assert groups[0].members == (0, 3, 2)  # best first
    assert groups[0].representative.index == 0
    assert groups[0].mean_log_likelihood == pytest.approx(np.mean([-3.2, -3.2003, -3.2001]))
    assert groups[1].members == (1,)


def test_different_maxima_are_separated_by_likelihood_or_by_means():
    # the same parameters but far apart in likelihood: not the same maximum
    runs = [_run(0, A, -3.2), _run(1, A_PERMUTED, -3.3)]
    assert [g.count for g in group_maxima(runs, np.ones(2), n_samples=100)] == [1, 1]
    # the same likelihood but a mean elsewhere (half a standard deviation away)
    moved = A.with_component(0, mean=[0.5, 0.0])
    runs = [_run(0, A, -3.2), _run(1, moved, -3.2)]
    assert [g.count for g in group_maxima(runs, np.ones(2), n_samples=100)] == [1, 1]
    # ...which is the same maximum when the data spread is ten times larger
    assert [g.count for g in group_maxima(runs, np.full(2, 10.0), n_samples=100)] == [2]


def test_empty_components_pair_wherever_they_sit():
    a = _mixture([0.5, 0.5 - 1e-9, 1e-9], [[0.0], [5.0], [100.0]], [1.0, 1.0, 1.0])
    b = _mixture([1e-9, 0.5, 0.5 - 1e-9], [[-40.0], [0.0], [5.0]], [1.0, 1.0, 1.0])
    c = _mixture([0.5, 0.25, 0.25], [[0.0], [5.0], [-40.0]], [1.0, 1.0, 1.0])
    assert same_maximum(a, -2.0, b, -2.0, np.ones(1), n_samples=50)
    assert not same_maximum(a, -2.0, c, -2.0, np.ones(1), n_samples=50)


def test_a_run_bridging_two_representatives_merges_them():
    # 0 and 2 are 0.16 apart (> mean_tol 0.1); run 1 lies within 0.1 of both
    means = np.array([[[0.0]], [[0.08]], [[0.16]]])
    weights = np.ones((3, 1))
    lls = np.array([-1.0, -1.0001, -1.00005])
    ids, reps = identify_maxima(weights, means, lls, n_samples=10, mean_tol=0.1)
    np.testing.assert_array_equal(ids, [0, 0, 0])
    assert reps == [0]
    ids, reps = identify_maxima(weights[[0, 2]], means[[0, 2]], lls[[0, 2]], n_samples=10)
    np.testing.assert_array_equal(ids, [0, 1])


def test_identify_maxima_numbers_best_first_and_skips_unusable():
    means = np.array([[[0.0]], [[5.0]], [[0.0]], [[9.0]]])
    lls = np.array([-2.0, -1.0, np.nan, -3.0])
    ids, reps = identify_maxima(np.ones((4, 1)), means, lls, n_samples=10)
    np.testing.assert_array_equal(ids, [1, 0, -1, 2])
    assert reps == [1, 0, 3]


def test_match_components_recovers_a_permutation():
    rng = np.random.default_rng(0)
    means = rng.normal(size=(5, 2)) * 10
    perm = np.array([3, 0, 4, 1, 2])
    found, distance = match_components(means, means[perm] + 1e-3)
    np.testing.assert_array_equal(means[perm][found], means)
    assert distance == pytest.approx(np.sqrt(2) * 1e-3)


def test_best_run():
    runs = [_run(0, A, -3.3), _run(1, B, -3.1), _run(2, A, -3.1), _run(3, A, np.nan)]
    assert best_run(runs).index == 1
    assert best_run([]) is None


def test_run_seeds_do_not_depend_on_the_number_of_runs():
    np.testing.assert_array_equal(run_seeds(7, 5), run_seeds(7, 20)[:5])
    assert not np.array_equal(run_seeds(7, 5), run_seeds(8, 5))


@pytest.fixture(scope="module")
def three_clusters():
    rng = np.random.default_rng(42)
    return np.concatenate(
        [rng.normal(-6, 1, 80), rng.normal(0, 1, 80), rng.normal(6, 1, 80)]
    )[:, None]


def test_run_restarts_keeps_every_run_replayable(three_clusters):
    X = three_clusters
    result = run_restarts(X, 2, n_starts=8, init="random_from_data", seed=3)
    assert len(result.runs) == 8 and not result.cancelled
    assert [r.index for r in result.runs] == list(range(8))
    for run in result.runs[:3]:
        # the start is rebuilt from the seed, and EM from it gives the same result
        again = draw_start(X, 2, "random_from_data", seed=run.seed)
        np.testing.assert_array_equal(again.means, run.start.means)
        np.testing.assert_array_equal(again.covariances, run.start.covariances)
        replay = fit(X, run.start, tol=RUN_TOL, max_iter=RUN_MAX_ITER)
        assert replay.mean_log_likelihood == run.mean_log_likelihood
        assert replay.n_iter == run.n_iter
    assert result.best is best_run(result.runs)
    assert result.best.mean_log_likelihood == max(r.mean_log_likelihood for r in result.runs)
    ranked = result.ranked()
    assert [r.mean_log_likelihood for r in ranked] == sorted(
        (r.mean_log_likelihood for r in result.runs), reverse=True
    )


def test_run_restarts_groups_partition_the_runs(three_clusters):
    X = three_clusters
    result = run_restarts(X, 2, n_starts=12, init="random_from_data", seed=0)
    members = sorted(i for g in result.groups for i in g.members)
    assert members == list(range(12))
    assert sum(g.count for g in result.groups) == 12
    best = [g.best_log_likelihood for g in result.groups]
    assert best == sorted(best, reverse=True)
    # K = 2 on three clusters: pairing two clusters left or right are two different maxima
    assert len(result.groups) >= 2
    scale = data_scale(X)
    for group in result.groups:  # every member is the same maximum as another member
        runs = [result.runs[i] for i in group.members]
        for run in runs if len(runs) > 1 else []:
            assert any(
                same_maximum(
                    run.mixture, run.mean_log_likelihood, o.mixture, o.mean_log_likelihood,
                    scale, n_samples=X.shape[0], ll_tol=result.ll_tol, mean_tol=result.mean_tol,
                )
                for o in runs
                if o is not run
            )
    reps = [g.representative for g in result.groups]
    for i, a in enumerate(reps):
        for b in reps[i + 1 :]:
            assert not same_maximum(
                a.mixture, a.mean_log_likelihood, b.mixture, b.mean_log_likelihood, scale,
                n_samples=X.shape[0],
            )
    assert result.group_of(result.best.index) == 0


def test_run_restarts_is_deterministic_by_seed(three_clusters):
    a = run_restarts(three_clusters, 2, n_starts=4, init="random", seed=5)
    b = run_restarts(three_clusters, 2, n_starts=4, init="random", seed=5)
    assert [r.mean_log_likelihood for r in a.runs] == [r.mean_log_likelihood for r in b.runs]


def test_run_restarts_cancel_stops_after_a_few_runs(three_clusters):
    calls = []

    def progress(done, total):
        calls.append((done, total))

    result = run_restarts(
        three_clusters,
        2,
        n_starts=20,
        seed=1,
        progress=progress,
        should_cancel=lambda: len(calls) >= 3,
    )
    assert result.cancelled
    assert len(result.runs) == 3
    assert calls == [(1, 20), (2, 20), (3, 20)]
    assert sum(g.count for g in result.groups) == 3


def test_run_restarts_cancel_inside_a_run_drops_it(three_clusters):
    polls = []

    def should_cancel():
        polls.append(1)
        return len(polls) > 5  # during the first run's iterations

    result = run_restarts(three_clusters, 2, n_starts=5, seed=1, should_cancel=should_cancel)
    assert result.cancelled
    assert result.runs == ()
    assert result.groups == ()


def test_run_restarts_refuses_bad_requests(three_clusters):
    with pytest.raises(ValueError, match="init"):
        run_restarts(three_clusters, 2, init="kmeans-ish")
    with pytest.raises(ValueError, match="components"):
        run_restarts(three_clusters[:3], 4)
