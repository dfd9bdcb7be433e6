"""The half-step state machine, its history and the editing of the start, against the engine."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gmm_gui.controller.halfsteps as halfsteps_module
from gmm_gui.controller.stepper import StartInfo, Stepper
from gmm_gui.model import Mixture, e_step, fit, init_mixture, m_step


def two_blobs(n: int = 120, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal([0.0, 0.0], [1.0, 0.5], size=(n // 2, 2))
    b = rng.normal([5.0, 3.0], [0.7, 1.2], size=(n - n // 2, 2))
    return np.vstack([a, b])


def start_2d() -> Mixture:
    return Mixture(
        np.array([0.5, 0.5]),
        np.array([[1.0, 1.0], [3.0, 2.0]]),
        np.array([np.eye(2), 2.0 * np.eye(2)]),
    )


@pytest.fixture
def stepper() -> Stepper:
    return Stepper(two_blobs(), start_2d())


def test_start_state(stepper):
    snap = stepper.snapshot
    assert snap.phase == "start" and snap.editable and snap.resp is None
    _, ll = e_step(stepper.X, start_2d())
    assert snap.mean_log_likelihood == pytest.approx(ll / stepper.n_samples)
    assert stepper.next_phase == "E"
    assert not stepper.X.flags.writeable


def test_e_then_m_matches_the_engine(stepper):
    X = stepper.X
    start = start_2d()
    e = stepper.step()
    resp, ll = e_step(X, start)
    assert e.phase == "E" and e.iteration == 0 and not e.editable
    np.testing.assert_allclose(e.resp, resp)
    assert e.mixture == start
    assert e.mean_log_likelihood == pytest.approx(ll / len(X))
    m = stepper.step()
    expected = m_step(X, resp, "full", 1e-6)
    assert m.phase == "M" and m.iteration == 1
    np.testing.assert_allclose(m.mixture.means, expected.means)
    np.testing.assert_allclose(m.mixture.covariances, expected.covariances)
    np.testing.assert_allclose(m.mixture.weights, expected.weights)
    _, ll1 = e_step(X, expected)
    assert m.history == pytest.approx((ll1 / len(X),))
    np.testing.assert_allclose(m.resp, resp)  # points keep the colours that moved the Gaussians
    # The next E-step recolours with the new mixture.
    e2 = stepper.step()
    np.testing.assert_allclose(e2.resp, e_step(X, expected)[0])


def test_step_phase_only_does_the_matching_half_step(stepper):
    assert stepper.step_phase("M") is None
    assert stepper.step_phase("E").phase == "E"
    assert stepper.step_phase("E") is None
    assert stepper.step_phase("M").phase == "M"
    with pytest.raises(ValueError):
        stepper.step_phase("X")


def test_run_to_convergence_ends_where_fit_ends(stepper):
    result = fit(stepper.X, start_2d(), max_iter=100, tol=1e-3, reg_covar=1e-6)
    last = stepper.run_to_convergence()
    assert last.converged == result.converged
    assert last.iteration == result.n_iter
    np.testing.assert_allclose(last.history, result.history)
    np.testing.assert_allclose(last.mixture.means, result.mixture.means)
    assert stepper.converged_at() == result.n_iter
    assert stepper.next_phase is None and stepper.at_end
    assert stepper.step() is None
    lls = stepper.log_likelihoods()
    assert lls[0] == pytest.approx(result.initial_mean_log_likelihood)
    assert np.all(np.diff(lls) >= -1e-12)  # EM never decreases the likelihood


def test_history_navigation_does_not_recompute(stepper, monkeypatch):
    stepper.run_to_convergence()
    n = len(stepper.history)
    calls = []
    monkeypatch.setattr(halfsteps_module, "e_step", lambda *a: calls.append("e"))
    monkeypatch.setattr(halfsteps_module, "m_step", lambda *a: calls.append("m"))
    for index in (0, 3, n - 1, 2):
        snap = stepper.go_to(index)
        assert snap is stepper.history[index]
    # Stepping forward inside the known history moves along it.
    stepper.go_to(1)
    assert stepper.step() is stepper.history[2]
    assert stepper.next_iteration() is stepper.history[4]
    assert stepper.index_of_iteration(2) == 4
    assert stepper.index_of_iteration(0) == 0
    assert stepper.index_of_iteration(10_000) == n - 1
    assert calls == []
    assert not stepper.editable
    stepper.go_to(0)
    assert stepper.editable


def test_reset_and_replay_from_the_same_start(stepper):
    first = stepper.run_to_convergence()
    stepper.reset()
    assert len(stepper.history) == 1 and stepper.snapshot.phase == "start"
    again = stepper.run_to_convergence()
    assert again.mixture == first.mixture
    assert again.history == first.history


def test_add_remove_and_undo_redo(stepper):
    X = stepper.X
    before = stepper.start
    stepper.add_component(np.array([2.0, 2.0]))
    mixture = stepper.start
    assert mixture.n_components == 3
    np.testing.assert_allclose(mixture.means[2], [2.0, 2.0])
    np.testing.assert_allclose(mixture.weights, [1 / 3, 1 / 3, 1 / 3])
    spread = np.std(X, axis=0)
    np.testing.assert_allclose(np.sqrt(np.diag(mixture.covariances[2])), 0.25 * spread)
    assert stepper.can_undo and stepper.undo_text == "add Gaussian 3"
    stepper.remove_component(0)
    assert stepper.start.n_components == 2
    np.testing.assert_allclose(stepper.start.means[0], [3.0, 2.0])
    np.testing.assert_allclose(stepper.start.weights.sum(), 1.0)
    stepper.undo()
    assert stepper.start == mixture
    stepper.undo()
    assert stepper.start == before
    assert not stepper.can_undo and stepper.can_redo
    stepper.redo()
    assert stepper.start == mixture
    # A new edit forgets what could be redone.
    stepper.edit_component(0, mean=np.array([0.0, 0.0]))
    assert not stepper.can_redo


def test_placing_gaussians_from_nothing():
    stepper = Stepper(two_blobs())
    assert stepper.start is None and stepper.next_phase is None
    assert stepper.step() is None
    stepper.add_component([0.0, 0.0])
    stepper.add_component([5.0, 3.0])
    assert stepper.start.n_components == 2
    assert stepper.start_info.method == "placed"
    stepper.remove_component(1)
    stepper.remove_component(0)
    assert stepper.start is None
    with pytest.raises(ValueError, match="no Gaussians"):
        stepper.remove_component(0)


def test_editing_after_a_run_starts_again(stepper):
    stepper.run_to_convergence()
    stepper.go_to(0)
    stepper.edit_component(1, mean=np.array([5.0, 3.0]))
    assert len(stepper.history) == 1
    np.testing.assert_allclose(stepper.start.means[1], [5.0, 3.0])
    stepper.undo()
    assert stepper.start == start_2d()


def test_drag_preview_records_nothing(stepper):
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    preview = stepper.compute_preview(0, np.array([4.0, 3.0]), cov)
    assert preview.phase == "start" and preview.editable
    np.testing.assert_allclose(preview.mixture.means[0], [4.0, 3.0])
    np.testing.assert_allclose(preview.mixture.covariances[0], cov)
    np.testing.assert_allclose(preview.resp, e_step(stepper.X, preview.mixture)[0])
    assert stepper.start == start_2d() and not stepper.can_undo
    assert len(stepper.history) == 1


def test_table_values(stepper):
    stepper.set_table_value(0, "weight", 0.8)
    np.testing.assert_allclose(stepper.start.weights, [0.8, 0.2])
    stepper.set_table_value(1, "mean1", 7.5)
    np.testing.assert_allclose(stepper.start.means[1], [3.0, 7.5])
    stepper.set_table_value(1, "sd0", 3.0)
    stepper.set_table_value(1, "corr", -0.5)
    cov = stepper.start.covariances[1]
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(sd, [3.0, np.sqrt(2.0)])
    assert cov[0, 1] / (sd[0] * sd[1]) == pytest.approx(-0.5)
    for field, bad in (("weight", 1.5), ("sd1", -1.0), ("corr", 1.0), ("mean0", np.nan)):
        with pytest.raises(ValueError):
            stepper.set_table_value(0, field, bad)
    with pytest.raises(ValueError):
        stepper.set_table_value(0, "height", 1.0)
    for _ in range(4):
        stepper.undo()
    assert stepper.start == start_2d()


def test_new_start_uses_the_engine_initialiser(stepper):
    X = stepper.X
    for method in ("random", "kmeans++", "random_from_data"):
        stepper.new_start(3, method, seed=7)
        expected = init_mixture(X, 3, method, seed=7, covariance_type="full", reg_covar=1e-6)
        got = stepper.start
        np.testing.assert_array_equal(got.means, expected.means)
        np.testing.assert_array_equal(got.weights, expected.weights)
        for k in range(3):
            if np.all(np.diag(expected.covariances[k]) <= 1e-5):
                # A Gaussian on a single point gets the spread of a clicked one, to be seen.
                np.testing.assert_allclose(got.covariances[k], stepper.default_covariance())
            else:
                np.testing.assert_array_equal(got.covariances[k], expected.covariances[k])
        assert stepper.start_info == StartInfo(method, 3, 7)
    stepper.undo()
    assert stepper.start_info.method == "kmeans++"


def test_imported_start_must_match_the_data(stepper):
    one_d = Mixture(np.ones(1), np.zeros((1, 1)), np.ones((1, 1, 1)))
    with pytest.raises(ValueError, match="1-D"):
        stepper.set_start(one_d)
    assert stepper.start == start_2d()
    stepper.set_start(start_2d().with_component(0, mean=[9.0, 9.0]))
    np.testing.assert_allclose(stepper.start.means[0], [9.0, 9.0])


def test_one_dimensional_data():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(160, 6, 100), rng.normal(178, 7, 100)])
    stepper = Stepper(x)
    assert stepper.n_features == 1
    stepper.add_component([150.0])
    stepper.add_component([190.0])
    stepper.set_table_value(0, "sd0", 5.0)
    assert stepper.start.covariances[0, 0, 0] == pytest.approx(25.0)
    with pytest.raises(ValueError):
        stepper.set_table_value(0, "corr", 0.1)
    last = stepper.run_to_convergence()
    assert last.converged
    assert sorted(last.mixture.means[:, 0]) == pytest.approx([160, 178], abs=3)


def test_compute_run_can_be_cancelled_and_reports_progress(stepper):
    seen = []
    polls = []

    def cancel():
        polls.append(1)
        return len(polls) > 5

    out = stepper.compute_run(
        stepper.snapshot, progress=lambda it, s: seen.append(it), should_cancel=cancel
    )
    assert len(out) == 5
    assert seen == [1, 2]
    assert len(stepper.history) == 1  # pure: nothing pushed
    stepper.push_many(out)
    assert stepper.snapshot is out[-1]


def test_bad_data_is_refused():
    with pytest.raises(ValueError):
        Stepper(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError):
        Stepper(np.zeros((0, 2)))


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    k=st.integers(1, 4),
    method=st.sampled_from(["random", "kmeans++", "random_from_data"]),
)
def test_likelihood_never_decreases_half_step_by_half_step(seed, k, method):
    stepper = Stepper(two_blobs(60, seed % 7))
    stepper.new_start(k, method, seed=seed)
    for _ in range(16):
        before = stepper.snapshot.mean_log_likelihood
        snap = stepper.step()
        if snap is None:
            break
        assert snap.mean_log_likelihood >= before - 1e-9 * max(1.0, abs(before))
