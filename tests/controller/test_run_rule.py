"""A run to convergence with its own stopping rule (Restarts' RUN_TOL), issue #11."""

from __future__ import annotations

import numpy as np
import pytest

from gmm_gui.controller.session import Session
from gmm_gui.controller.stepper import Stepper
from gmm_gui.model import RUN_MAX_ITER, RUN_TOL, Mixture, fit


def three_blobs(n: int = 300, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parts = [
        rng.normal([0.0, 0.0], [1.0, 0.5], size=(n // 3, 2)),
        rng.normal([4.0, 3.0], [0.7, 1.2], size=(n // 3, 2)),
        rng.normal([1.0, 4.0], [1.5, 0.6], size=(n - 2 * (n // 3), 2)),
    ]
    return np.vstack(parts)


def start() -> Mixture:
    return Mixture(
        [0.4, 0.3, 0.3],
        [[0.5, 0.5], [3.0, 2.0], [2.0, 3.0]],
        [np.eye(2), 2.0 * np.eye(2), np.eye(2)],
    )


def test_a_run_with_its_own_tol_ends_where_fit_ends_with_it():
    X = three_blobs()
    stepper = Stepper(X, start())  # the window's animation rule: tol 1e-3, max_iter 100
    loose = fit(X, start(), tol=stepper.tol, max_iter=stepper.max_iter)
    tight = fit(X, start(), tol=RUN_TOL, max_iter=RUN_MAX_ITER)
    assert tight.n_iter > loose.n_iter  # the tight rule climbs further
    last = stepper.run_to_convergence(tol=RUN_TOL, max_iter=RUN_MAX_ITER)
    assert last.converged == tight.converged
    assert last.iteration == tight.n_iter
    np.testing.assert_allclose(last.history, tight.history, rtol=0, atol=1e-12)
    np.testing.assert_allclose(last.mixture.means, tight.mixture.means, rtol=0, atol=1e-10)
    # The states say which rule made them; the stepper's own rule is unchanged.
    assert {(s.tol, s.max_iter) for s in stepper.history[1:]} == {(RUN_TOL, RUN_MAX_ITER)}
    assert (stepper.tol, stepper.max_iter) == (1e-3, 100)
    info = stepper.fit_info()
    assert (info.tol, info.max_iter) == (RUN_TOL, RUN_MAX_ITER)
    # After a reset the animation's rule applies again.
    stepper.reset()
    again = stepper.run_to_convergence()
    assert again.iteration == loose.n_iter and again.tol == stepper.tol


def test_a_run_with_its_own_max_iter_stops_there():
    X = three_blobs()
    stepper = Stepper(X, start(), tol=0.0)
    last = stepper.run_to_convergence(max_iter=3)
    assert last.phase == "M" and last.iteration == 3
    assert last.stopped_at_max_iter and not last.converged
    assert stepper.max_iter == 100


@pytest.mark.parametrize("offload_threshold", [10**9, 0])
def test_the_session_runs_with_a_given_rule_on_either_thread(qtbot, offload_threshold):
    X = three_blobs()
    tight = fit(X, start(), tol=RUN_TOL, max_iter=RUN_MAX_ITER)
    session = Session(offload_threshold=offload_threshold)
    try:
        session.set_data(X, start())
        session.run_to_convergence(tol=RUN_TOL, max_iter=RUN_MAX_ITER)
        assert session.wait_idle()
        snap = session.snapshot
        assert snap.iteration == tight.n_iter and snap.converged
        assert snap.mean_log_likelihood == pytest.approx(tight.mean_log_likelihood, abs=1e-12)
        assert snap.tol == RUN_TOL
    finally:
        session.shutdown()
