"""Undo never throws a run away, and its text is in plain words (issue 13)."""

from __future__ import annotations

import numpy as np

from gmm_gui.controller.edits import describe_value
from gmm_gui.controller.stepper import Stepper
from gmm_gui.model import Mixture


def _data(n: int = 200, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(0.0, 1.0, (n // 2, 2)), rng.normal(4.0, 0.7, (n - n // 2, 2))])


def _start() -> Mixture:
    return Mixture(
        np.array([0.5, 0.5]), np.array([[1.0, 1.0], [3.0, 2.0]]), np.array([np.eye(2)] * 2)
    )


def test_undo_after_a_run_goes_back_to_the_start_and_keeps_the_run():
    stepper = Stepper(_data(), _start())
    stepper.run_to_convergence()
    n, newest = len(stepper.history), stepper.history[-1]
    assert n > 3 and stepper.can_undo
    assert stepper.undo_text.startswith(f"the run of {newest.iteration} iterations")
    assert "back to the start" in stepper.undo_text
    stepper.undo()
    assert stepper.index == 0 and stepper.editable and len(stepper.history) == n
    assert stepper.history[-1] is newest  # nothing recomputed, nothing lost
    assert not stepper.can_undo  # no edit before the run
    assert stepper.can_redo and f"iteration {newest.iteration} again" in stepper.redo_text
    stepper.redo()
    assert stepper.index == n - 1 and stepper.snapshot.mixture == newest.mixture
    assert not stepper.can_redo


def test_undoing_an_edit_keeps_the_run_for_redo_and_brings_back_the_one_before():
    stepper = Stepper(_data(), _start())
    stepper.edit_component(0, mean=np.array([0.5, 0.0]))  # edit 1
    first = stepper.run_to_convergence()
    first_n = len(stepper.history)
    stepper.go_to(0)
    stepper.edit_component(1, mean=np.array([4.0, 4.0]))  # edit 2 forgets the run ...
    assert len(stepper.history) == 1
    assert "comes back" in stepper.undo_text  # ... and Undo says it brings it back
    second = stepper.run_to_convergence()
    second_n = len(stepper.history)
    stepper.undo()  # back to the start of edit 2
    assert "is kept for Redo" in stepper.undo_text and "comes back" in stepper.undo_text
    stepper.undo()  # undo edit 2: edit 1's start and its run are back
    assert len(stepper.history) == first_n and stepper.history[-1].mixture == first.mixture
    assert stepper.index == 0
    assert "with the run of" in stepper.redo_text
    stepper.redo()  # edit 2 again, with its run, the state shown before the undo on offer
    assert len(stepper.history) == second_n and stepper.history[-1].mixture == second.mixture
    np.testing.assert_array_equal(stepper.start.means[1], [4.0, 4.0])
    assert stepper.index == 0 and "again" in stepper.redo_text
    stepper.redo()
    assert stepper.index == second_n - 1
    # The responsibilities of a state brought back are the E-step's, recomputed.
    e = stepper.go_to(second_n - 2)
    assert e.phase == "E" and e.resp is not None
    np.testing.assert_allclose(e.resp, stepper.responsibilities(stepper.history[second_n - 3]))


def test_undo_texts_are_plain_words():
    assert describe_value(1, "sd0", 2.0) == "change the spread of Gaussian 2 along x"
    assert describe_value(0, "sd1", 2.0) == "change the spread of Gaussian 1 along y"
    assert describe_value(2, "mean1", 2.0) == "move the centre of Gaussian 3 along y"
    assert describe_value(0, "weight", 0.25) == "change the weight of Gaussian 1 to 0.25"
    assert "correlation" in describe_value(0, "corr", -0.5)
    stepper = Stepper(_data(), _start())
    stepper.set_table_value(1, "sd0", 2.0)
    assert stepper.undo_text == "change the spread of Gaussian 2 along x"
    stepper.undo()
    assert stepper.redo_text == "change the spread of Gaussian 2 along x"
    for field in ("sd0", "sd1", "mean0", "mean1"):
        assert field not in describe_value(0, field, 0.5)
    stepper.new_start(3, "random_from_data", 1)
    assert stepper.undo_text == "new from-data start with 3 Gaussians"


def test_reset_sets_the_run_aside_and_undo_brings_it_back():
    """Reset to start forgets the run only until Undo: Undo restores every state and the one
    shown; Redo resets again."""
    stepper = Stepper(_data(), _start())
    stepper.run_to_convergence()
    stepper.go_to(4)
    n, newest = len(stepper.history), stepper.history[-1]
    stepper.reset()
    assert len(stepper.history) == 1 and stepper.editable
    assert stepper.can_undo and stepper.undo_text.startswith("reset to the start")
    assert f"the run of {newest.iteration} iterations" in stepper.undo_text
    stepper.undo()
    assert len(stepper.history) == n and stepper.index == 4
    assert stepper.history[-1].mixture == newest.mixture
    assert stepper.can_redo and stepper.redo_text.startswith("reset to the start")
    stepper.redo()
    assert len(stepper.history) == 1 and stepper.index == 0
    assert stepper.snapshot.mixture == _start()
    stepper.reset()  # nothing to set aside: no new undo step
    stepper.undo()
    assert len(stepper.history) == n


def test_redo_forward_to_the_run_survives_the_history_rebuilding_its_states():
    """Undo an edit made at the start of a run kept for Redo: Redo is still "forward to the
    run" after the window reads the log-likelihoods (which used to rebuild the newest states
    with their responsibilities, and lose it)."""
    from gmm_gui.controller.edits import AddComponent

    stepper = Stepper(_data(), _start())
    stepper.run_to_convergence()
    stepper.undo()  # back to the start, the run kept
    stepper.edit(AddComponent(np.array([2.0, 2.0])))
    stepper.undo()
    assert "again" in stepper.redo_text
    stepper.log_likelihoods()
    stepper.responsibilities(stepper.history[-1])  # the newest state read back in full
    assert "again" in stepper.redo_text
    stepper.redo()
    assert stepper.snapshot.mixture.n_components == 2 and stepper.index > 0
