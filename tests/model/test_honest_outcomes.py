"""Degenerate solutions named, and runs that truly converge (issue #11).

A component that collapsed (variance at the ``reg_covar`` floor, or fewer effective points than
``d + 1``) makes a degenerate solution, flagged on every result; restarts, basin maps and
Choose K run EM to ``RUN_TOL`` so that what they report as maxima are fixed points of EM.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from gmm_gui.model import Mixture, choose_k, fit, run_restarts
from gmm_gui.model.convergence import RUN_MAX_ITER, RUN_TOL
from gmm_gui.model.diagnostics import degenerate_components, degenerate_mask
from gmm_gui.model.maxima import data_scale, match_components
from gmm_gui.model.restarts import RestartRun, best_run, group_maxima
from gmm_gui.model.steps import e_step, prepare_data
from gmm_gui.resources import SAMPLES


def _load(path, columns):
    with open(path, newline="", encoding="utf-8") as handle:
        return np.array([[float(row[c]) for c in columns] for row in csv.DictReader(handle)])


def _sample(key):
    sample = next(s for s in SAMPLES if s.key == key)
    return _load(sample.path, sample.columns)


def _available_samples():
    out = []
    for sample in SAMPLES:
        try:
            _ = sample.path
        except FileNotFoundError:  # a sample another branch adds (iris) may not be here yet
            continue
        out.append(sample)
    return out


# ---------------------------------------------------------------------------------- the rule
def test_degenerate_components_flags_the_floor_and_too_few_points():
    means = [[0.0, 0.0], [5.0, 5.0], [9.0, 0.0]]
    covs = [np.eye(2), np.diag([1.0, 1e-6 + 1e-13]), np.eye(2)]
    mixture = Mixture([0.4, 0.4, 0.2], means, covs)
    # component 1 is flat along one axis (at the floor); component 2 owns 2.5 < d + 1 points
    assert degenerate_components(mixture, [40.0, 40.0, 2.5], 1e-6, 1.0) == (1, 2)
    assert degenerate_components(mixture, [40.0, 40.0, 3.0], 1e-6, 1.0) == (1,)
    healthy = Mixture([0.5, 0.5], means[:2], [np.eye(2), np.eye(2) * 0.5])
    assert degenerate_components(healthy, [50.0, 50.0], 1e-6, 1.0) == ()
    mask = degenerate_mask(np.stack([mixture.covariances] * 2), [[40, 40, 2.5], [40, 40, 9]],
                           1e-6, 1.0)
    np.testing.assert_array_equal(mask, [[False, True, True], [False, True, False]])
    with pytest.raises(ValueError, match="nk"):
        degenerate_components(mixture, [1.0, 2.0], 1e-6, 1.0)


@pytest.mark.parametrize("seed", range(4))
def test_davis_kmeanspp_collapse_is_flagged_degenerate(seed):
    X = _sample("davis")
    result = fit(X, "kmeans++", n_components=2, seed=seed)
    assert result.degenerate
    (k,) = result.degenerate_components
    assert result.mixture.means[k, 0] == pytest.approx(57.0)
    assert any(i.kind == "collapsed" and i.component == k for i in result.issues)


def test_a_good_fit_on_faithful_is_not_degenerate():
    X = _sample("faithful")
    for cov_type in ("full", "diag", "spherical", "tied"):
        result = fit(X, "kmeans++", n_components=2, seed=0, covariance_type=cov_type)
        assert not result.degenerate and result.degenerate_components == ()


# ---------------------------------------------------------------------------------- restarts
def test_restarts_on_davis_name_every_collapse_and_keep_no_degenerate_best():
    X = _sample("davis")
    result = run_restarts(X, 2, n_starts=10, seed=0)
    assert all(r.degenerate for r in result.runs)  # k-means++ puts a centre on 57 cm
    assert result.n_degenerate_set_aside == 10
    assert result.best is None  # nothing but degenerate runs: no best solution to use
    assert all(g.degenerate for g in result.groups)


def test_best_sets_aside_better_degenerate_runs():
    X = _sample("davis")
    good = fit(X, Mixture([0.5, 0.5], [[160.0], [180.0]], [[[30.0]], [[30.0]]]),
               max_iter=3)  # three iterations: not yet collapsed
    assert not good.degenerate
    bad = fit(X, "kmeans++", n_components=2, seed=0)

    def run(i, res):
        return RestartRun(
            index=i, seed=i, start=res.mixture, mixture=res.mixture,
            mean_log_likelihood=res.mean_log_likelihood, n_iter=res.n_iter,
            converged=res.converged, degenerate_components=res.degenerate_components,
        )

    runs = [run(0, bad), run(1, good), run(2, bad)]
    assert bad.mean_log_likelihood > good.mean_log_likelihood
    assert best_run(runs).index == 0
    assert best_run(runs, skip_degenerate=True).index == 1
    groups = group_maxima(runs, data_scale(X), n_samples=X.shape[0])
    assert [g.degenerate for g in groups] == [True, False]
    assert groups[0].members == (0, 2)


def test_runs_stopped_by_max_iter_are_never_grouped_with_converged_ones():
    X = _sample("faithful")
    converged = run_restarts(X, 2, n_starts=6, seed=1)
    stopped = run_restarts(X, 2, n_starts=6, seed=1, max_iter=4)
    assert all(r.converged for r in converged.runs)
    assert not any(r.converged for r in stopped.runs)
    runs = list(converged.runs) + [
        RestartRun(**{**vars(r), "index": r.index + 6}) for r in stopped.runs
    ]
    groups = group_maxima(runs, data_scale(X), n_samples=X.shape[0], ll_tol=1.0, mean_tol=10.0)
    for group in groups:
        kinds = {runs[i].converged for i in group.members}
        assert kinds == {group.converged}
    assert {g.converged for g in groups} == {True, False}


@pytest.mark.parametrize("sample", _available_samples(), ids=lambda s: s.key)
def test_every_maximum_restarts_reports_is_a_fixed_point(sample):
    X = _load(sample.path, sample.columns)
    result = run_restarts(X, sample.n_components, seed=0)  # the default settings
    assert result.tol == RUN_TOL and result.max_iter == RUN_MAX_ITER
    scale = data_scale(X)
    for group in result.groups:
        run = group.representative
        assert run.converged
        again = fit(X, run.mixture, covariance_type=run.mixture.covariance_type, max_iter=5,
                    tol=0.0)
        assert abs(again.mean_log_likelihood - run.mean_log_likelihood) < 1e-6
        _, distance = match_components(run.mixture.means, again.mixture.means, scale)
        assert distance < 1e-4


def test_faithful_three_components_has_a_handful_of_maxima():
    X = _sample("faithful")
    result = run_restarts(X, 3, n_starts=100, seed=0)
    assert all(r.converged for r in result.runs)
    assert not any(r.degenerate for r in result.runs)
    assert 2 <= len(result.groups) <= 5  # 18 at the animation's tol 1e-3


# ---------------------------------------------------------------------------------- choose K
def test_choose_k_reports_no_bic_for_a_degenerate_candidate():
    X = _sample("davis")
    selection = choose_k(X, 2, ("full",), seed=0, n_init=1)
    one, two = selection.candidates
    assert not one.degenerate and np.isfinite(one.bic)
    assert two.degenerate  # k-means++ collapses onto the 57 cm entry
    assert np.isnan(two.bic) and np.isnan(two.aic)
    assert np.isfinite(two.raw_bic) and two.raw_bic < one.bic  # the singularity would "win"
    assert selection.best("bic") is one
    data = prepare_data(X)
    total = e_step(data, two.mixture)[1]
    assert two.raw_bic == pytest.approx(-2 * total + 5 * np.log(X.shape[0]), rel=1e-12)
