"""The stepper's memory stays bounded; edits split into a pure plan and a cheap apply."""

from __future__ import annotations

import numpy as np
import pytest

import gmm_gui.controller.halfsteps as halfsteps_module
from gmm_gui.controller.edits import EditComponent, NewStart
from gmm_gui.controller.stepper import Stepper
from gmm_gui.model import Mixture, e_step


def blobs(n: int = 2000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [4.0, 1.0], [1.5, 4.0]])
    return centres[rng.integers(0, 3, size=n)] + rng.normal(scale=0.7, size=(n, 2))


def start() -> Mixture:
    return Mixture(
        np.full(3, 1 / 3), [[0.5, 0.5], [3.0, 0.0], [2.0, 3.0]], np.repeat(np.eye(2)[None], 3, 0)
    )


def test_responsibilities_stay_within_the_budget_and_come_back_identical(monkeypatch):
    X = blobs()
    one = X.shape[0] * 3 * 8  # bytes of one E-step's responsibilities
    stepper = Stepper(X, start(), tol=0.0, resp_cache_bytes=5 * one)
    for _ in range(60):  # 30 E-steps, far more than the budget holds
        stepper.step()
    assert stepper.resp_bytes <= 5 * one
    history = stepper.history
    held = [s for s in history if s.phase == "E" and s.resp is not None]
    assert 1 <= len(held) <= 5
    assert history[-1].resp is not None  # the newest state keeps its colours
    assert history[2].resp is None  # an early one was let go ...
    # ... and comes back by one E-step of its stored mixture: the same array, bit for bit.
    calls = []
    original = halfsteps_module.e_step

    def spy(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(halfsteps_module, "e_step", spy)
    e_snap = stepper.go_to(1)
    m_snap = stepper.go_to(2)
    assert len(calls) == 1  # the M-step shows the responsibilities of the E-step before it
    assert m_snap.resp is e_snap.resp
    expected = e_step(X, history[1].mixture)[0]
    np.testing.assert_array_equal(e_snap.resp, expected)
    assert stepper.snapshot is stepper.history[2]
    assert stepper.resp_bytes <= 5 * one
    # Moving to a state that still holds its responsibilities computes nothing.
    stepper.go_to(len(history) - 1)
    assert len(calls) == 1
    # Going on from the newest state still works and reset forgets the budget.
    assert stepper.step().phase == "E"
    stepper.reset()
    assert stepper.resp_bytes == 0


def test_a_long_history_holds_at_most_the_budget():
    X = blobs(500)
    budget = 10 * X.shape[0] * 3 * 8
    stepper = Stepper(X, start(), tol=0.0, max_iter=1000, resp_cache_bytes=budget)
    sizes = []
    for _ in range(400):
        stepper.step()
        sizes.append(stepper.resp_bytes)
    assert max(sizes) <= budget
    arrays = {id(s.resp) for s in stepper.history if s.resp is not None}
    assert len(arrays) <= 10
    assert len(stepper.history) == 401  # every half-step is still there, with its mixture
    assert all(s.mixture is not None for s in stepper.history)


def test_a_collapsing_m_step_is_a_sentence_not_a_crash():
    # reg_covar = 0 and a Gaussian owning exactly one point: its covariance becomes zero.
    X = np.vstack([np.random.default_rng(1).normal(size=(50, 2)), [[40.0, 40.0]]])
    mix = Mixture([0.9, 0.1], [[0.0, 0.0], [40.0, 40.0]], [np.eye(2), 0.01 * np.eye(2)])
    stepper = Stepper(X, mix, reg_covar=0.0)
    stepper.step()
    with pytest.raises(ValueError, match=r"M-step of iteration 1 cannot go on: .*collapsed"):
        stepper.step()
    assert stepper.snapshot.phase == "E"  # nothing half-done was recorded
    assert len(stepper.history) == 2


def test_plan_is_pure_and_apply_refuses_a_stale_plan():
    stepper = Stepper(blobs(300), start())
    before = stepper.snapshot
    planned = stepper.plan(NewStart(2, "kmeans++", 0))
    assert stepper.snapshot is before and not stepper.can_undo  # nothing changed yet
    other = Stepper(blobs(300), start())
    expected = other.new_start(2, "kmeans++", 0)
    assert planned.start.mixture == expected.mixture
    assert planned.start.mean_log_likelihood == expected.mean_log_likelihood
    stepper.apply(planned)
    assert stepper.snapshot is planned.start
    assert stepper.undo_text == "new k-means++ start with 2 Gaussians"
    with pytest.raises(ValueError, match="start changed"):
        stepper.apply(planned)  # planned from a start that is no longer the start
    move = stepper.plan(EditComponent(0, np.array([1.0, 1.0])))
    stepper.apply(move)
    assert np.array_equal(stepper.start.means[0], [1.0, 1.0])
    # Undo and redo reuse the stored start states: no E-step.
    stepper.undo()
    assert stepper.snapshot is planned.start
    with pytest.raises(ValueError, match="unknown edit"):
        stepper.plan("run")
