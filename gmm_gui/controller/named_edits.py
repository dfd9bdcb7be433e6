"""The stepper's edits of the start by name, each one undoable entry, and undo/redo (no Qt).

:class:`NamedEdits` is mixed into :class:`~gmm_gui.controller.stepper.Stepper`: each named edit
builds the frozen dataclass of :mod:`gmm_gui.controller.edits` and hands it to the stepper's
``edit`` (plan, then apply); undo and redo go back and forth on the stepper's
:class:`~gmm_gui.controller.edits.UndoStack`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from gmm_gui.controller.edits import (
    AddComponent,
    Edit,
    EditComponent,
    EditRecord,
    NewStart,
    RemoveComponent,
    SetStart,
    SetTableValue,
    StartInfo,
    UndoStack,
)
from gmm_gui.model import Mixture

if TYPE_CHECKING:
    from gmm_gui.controller.history import History
    from gmm_gui.controller.snapshot import Snapshot

__all__ = ["NamedEdits"]


def _run_words(last: Snapshot) -> str:
    """``"the run of 12 iterations"`` (or ``"the first E-step"``) up to ``last``."""
    n = last.iteration
    if n == 0:
        return "the first E-step"
    return f"the run of {n} iteration{'s' if n != 1 else ''}"


def _where(snap: Snapshot) -> str:
    """``"iteration 12"`` or ``"the E-step of iteration 13"``."""
    if snap.phase == "E":
        return f"the E-step of iteration {snap.iteration + 1}"
    return f"iteration {snap.iteration}"


class NamedEdits:
    """Named edits of the start, undo and redo, for the stepper they are mixed into (see the
    module).

    Undo never throws a run away. While a state after the start is shown, Undo first goes back
    to the start and keeps the run on the timeline (Redo returns to the state shown). Undoing
    (or redoing) an edit of the start keeps the run of the start it leaves in the record Redo
    (or Undo) goes back to, and the menu text says so.
    """

    # The stepper's.
    _edits: UndoStack
    _history: History
    _info: StartInfo
    _steps: Any
    #: The state "back to the start" left, while Redo may return to it: (state, index).
    _run_redo: tuple[Snapshot, int] | None = None

    def edit(self, edit: Edit) -> Snapshot:
        """Plan and apply ``edit`` at once; undoable (the stepper's)."""
        raise NotImplementedError

    @property
    def snapshot(self) -> Snapshot:
        """The state shown (the stepper's)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ records
    def _record(self, description: str) -> EditRecord:
        """The start now and its run, for Undo or Redo."""
        history = self._history
        states = history.kept() if len(history) > 1 else ()
        run_index = self._run_index()
        return EditRecord(
            history.start.mixture,
            self._info,
            description,
            history.start,
            self._steps,
            states,
            history.index,
            run_index,
        )

    def _restore(self, record: EditRecord | None) -> Snapshot | None:
        """Go back to ``record``'s start, and its run if it had one."""
        if record is None:
            return None
        self._info = record.info
        if record.steps is not None:
            self._steps = record.steps
        self._run_redo = None
        if record.states:
            self._history.restore(record.states, record.index)
            if record.run_index is not None and record.run_index < len(self._history):
                self._run_redo = (self._history.raw(record.run_index), record.run_index)
        else:
            self._history.restart(record.snapshot or self._steps.start_snapshot(record.mixture))
        return self.snapshot

    def _run_index(self) -> int | None:
        """The index Redo of "back to the start" would return to, if it still can."""
        if self._run_redo is None or self._history.index != 0:
            return None
        snap, index = self._run_redo
        # the same state, even if the history has since rebuilt it with its responsibilities
        # (a new Snapshot with the same mixture object)
        if index < len(self._history):
            now = self._history.raw(index)
            if now is snap or (
                now.mixture is snap.mixture
                and (now.phase, now.iteration) == (snap.phase, snap.iteration)
            ):
                return index
        return None

    # -------------------------------------------------------------- undo, redo
    @property
    def can_undo(self) -> bool:
        """True when Undo does something: back to the start from a run, or undo an edit."""
        return self._history.index > 0 or self._edits.can_undo

    @property
    def can_redo(self) -> bool:
        """True when Redo does something: return to the run, or redo an undone edit."""
        return self._run_index() is not None or self._edits.can_redo

    @property
    def undo_text(self) -> str:
        """What :meth:`undo` would do, in words ("" if nothing)."""
        history = self._history
        if history.index > 0:
            return f"{_run_words(history.newest)} (back to the start; the timeline keeps it)"
        record = self._edits.next_undo
        if record is None:
            return ""
        notes = []
        if len(history) > 1:
            notes.append(f"{_run_words(history.newest)} is kept for Redo")
        if record.run_iterations:
            notes.append(f"{_run_words(record.states[-1])} before it comes back")
        return record.description + (f" ({'; '.join(notes)})" if notes else "")

    @property
    def redo_text(self) -> str:
        """What :meth:`redo` would do, in words ("" if nothing)."""
        index = self._run_index()
        if index is not None:
            snap = self._history.raw(index)
            return f"{_run_words(self._history.newest)} (forward to {_where(snap)} again)"
        record = self._edits.next_redo
        if record is None:
            return ""
        notes = []
        if record.run_iterations:
            notes.append(f"with {_run_words(record.states[-1])}")
        if len(self._history) > 1:
            notes.append(f"{_run_words(self._history.newest)} is kept for Undo")
        return record.description + (f" ({'; '.join(notes)})" if notes else "")

    def undo(self) -> Snapshot | None:
        """Undo: from a state after the start, back to the start (the run kept); at the start,
        undo the last edit of the start (its run kept for Redo)."""
        history = self._history
        if history.index > 0:
            self._run_redo = (history.raw(history.index), history.index)
            history.go_to(0)
            return self.snapshot
        return self._restore(self._edits.undo(self._record))

    def redo(self) -> Snapshot | None:
        """Redo: return to the run Undo left, or redo the last undone edit."""
        index = self._run_index()
        if index is not None:
            self._run_redo = None
            self._history.go_to(index)
            return self.snapshot
        return self._restore(self._edits.redo(self._record))

    def set_start(
        self, mixture: Mixture | None, info: StartInfo | None = None, description: str = "new start"
    ) -> Snapshot:
        """Replace the start (a random start, an imported file); undoable."""
        return self.edit(SetStart(mixture, info, description))

    def new_start(
        self, n_components: int, method: str = "kmeans++", seed: int | None = 0
    ) -> Snapshot:
        """A start drawn by the engine's initialiser (made :meth:`visible`); undoable.

        Parameters
        ----------
        n_components : int
        method : {"random", "kmeans++", "random_from_data", "kmeans"}
        seed : int or None
        """
        return self.edit(NewStart(n_components, method, seed))

    def add_component(self, mean: np.ndarray, covariance: np.ndarray | None = None) -> Snapshot:
        """Place a Gaussian at ``mean`` (array of shape (n_features,)); undoable.

        Its weight is ``1 / (K + 1)``; the others shrink in proportion so the weights still sum
        to one. Its covariance is :meth:`default_covariance` unless given.
        """
        return self.edit(AddComponent(mean, covariance))

    def remove_component(self, k: int) -> Snapshot:
        """Remove Gaussian ``k`` (0-based) from the start; the others' weights are rescaled."""
        return self.edit(RemoveComponent(k))

    def edit_component(
        self,
        k: int,
        mean: np.ndarray | None = None,
        covariance: np.ndarray | None = None,
        description: str | None = None,
    ) -> Snapshot:
        """Move and/or reshape Gaussian ``k`` of the start; undoable (one entry per call)."""
        return self.edit(EditComponent(k, mean, covariance, description))

    def set_table_value(self, k: int, field: str, value: float) -> Snapshot:
        """Set one value of the component table for Gaussian ``k`` (0-based); undoable.

        ``field`` is one of :data:`~gmm_gui.controller.edits.TABLE_FIELDS`: ``weight`` (the
        other weights are rescaled so all sum to one), ``meanJ`` (coordinate ``J`` of the mean),
        ``sdJ`` (standard deviation along feature ``J``, the correlation kept) or ``corr`` (2-D,
        strictly between -1 and 1).
        """
        return self.edit(SetTableValue(k, field, value))
