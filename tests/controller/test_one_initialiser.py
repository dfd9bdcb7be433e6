"""One initialiser: the toolbar's start, gmm-fit's and a Restarts run's are the same start
(issue #11). Run i of Restarts uses ``run_seeds(seed, n)[i]``; the run whose seed is S starts
where the toolbar's start of seed S starts and where ``gmm-fit --seed S`` starts."""

from __future__ import annotations

import numpy as np
import pytest

from gmm_gui.controller.stepper import Stepper
from gmm_gui.model import fit, init_mixture, run_restarts
from gmm_gui.model.restarts import run_seeds


def blobs(n: int = 240, seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal([0.0, 0.0], [1.0, 0.5], (n // 2, 2))
    b = rng.normal([5.0, 30.0], [0.7, 9.0], (n // 2, 2))
    return np.vstack([a, b])


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_random_starts_are_one_start_everywhere(covariance_type):
    X = blobs()
    K, master = 3, 5
    seed = int(run_seeds(master, 4)[2])  # the seed of Restarts' run 3
    stepper = Stepper.from_method(X, K, "random", seed, covariance_type=covariance_type)
    toolbar = stepper.start
    engine = init_mixture(X, K, "random", seed=seed, covariance_type=covariance_type)
    # gmm-fit -k K --init-method random --seed S: fit(X, "random", seed=S); max_iter 0 keeps
    # its start.
    cli = fit(X, "random", n_components=K, seed=seed, max_iter=0, covariance_type=covariance_type)
    restarts = run_restarts(X, K, 4, "random", seed=master, covariance_type=covariance_type)
    run = restarts.runs[2]
    assert run.seed == seed
    for other in (engine, cli.mixture, run.start):
        np.testing.assert_array_equal(toolbar.weights, other.weights)
        np.testing.assert_array_equal(toolbar.means, other.means)
        np.testing.assert_array_equal(toolbar.covariances, other.covariances)
    assert stepper.snapshot.mean_log_likelihood == pytest.approx(
        cli.initial_mean_log_likelihood, abs=1e-12
    )
