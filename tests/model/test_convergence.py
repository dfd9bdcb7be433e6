"""EM's stopping rule (gmm_gui.model.convergence), shared by fit, the stepper and the maps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gmm_gui.model import Mixture, fit, has_converged, is_last_iteration


def test_a_change_below_tol_has_converged_and_not_otherwise():
    assert has_converged(-1.0, -1.0005, 1e-3) is True
    assert has_converged(-1.0005, -1.0, 1e-3) is True  # a decrease counts by its size
    assert has_converged(-1.0, -1.002, 1e-3) is False
    assert has_converged(-1.0, -1.0 - 2.0**-10, 2.0**-10) is False  # strictly below tol
    assert has_converged(-1.0, -1.0, 0.0) is False  # tol 0 never stops


@pytest.mark.parametrize(
    ("latest", "previous"),
    [(-1.0, -math.inf), (math.nan, -1.0), (-1.0, math.nan), (math.inf, math.inf)],
)
def test_a_change_that_is_not_finite_never_converges(latest, previous):
    assert has_converged(latest, previous, math.inf) is False


def test_vectorised_over_starts_equals_one_call_per_start():
    rng = np.random.default_rng(0)
    latest = rng.normal(size=50)
    previous = latest + rng.normal(scale=1e-3, size=50)
    previous[::7] = -np.inf
    previous[3] = np.nan
    got = has_converged(latest, previous, 1e-3)
    assert got.dtype == bool and got.shape == (50,)
    one_by_one = [has_converged(a, b, 1e-3) for a, b in zip(latest, previous, strict=True)]
    assert got.tolist() == one_by_one
    assert 0 < got.sum() < 50


def test_the_last_iteration_looks_one_likelihood_behind():
    assert is_last_iteration([], 1e-3) is False
    assert is_last_iteration([-2.0], 1e-3) is False  # iteration 1: L_{-1} = -inf
    assert is_last_iteration([-2.0, -1.0], 1e-3) is False
    assert is_last_iteration([-2.0, -1.0, -0.9999], 1e-3) is True
    assert is_last_iteration([-2.0, -1.0, -0.9999, -0.5], 1e-3) is False  # only the last two
    assert is_last_iteration([math.nan, -1.0], 1e-3) is False  # the start's value unknown


def test_fit_stops_where_the_rule_says():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(-2, 1, 150), rng.normal(2, 1, 150)])[:, None]
    start = Mixture([0.5, 0.5], [[-0.5], [0.5]], [[[1.0]], [[1.0]]])
    tol = 1e-4
    result = fit(X, start, tol=tol, max_iter=500)
    assert result.converged
    lls = [result.initial_mean_log_likelihood, *result.history]
    stops = [t for t in range(1, len(lls)) if is_last_iteration(lls[:t], tol)]
    assert stops[0] == result.n_iter
