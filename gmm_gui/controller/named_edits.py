"""The stepper's edits of the start by name, each one undoable entry, and undo/redo (no Qt).

:class:`NamedEdits` is mixed into :class:`~gmm_gui.controller.stepper.Stepper`: each named edit
builds the frozen dataclass of :mod:`gmm_gui.controller.edits` and hands it to the stepper's
``edit`` (plan, then apply); undo and redo go back and forth on the stepper's
:class:`~gmm_gui.controller.edits.UndoStack`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    from gmm_gui.controller.snapshot import Snapshot

__all__ = ["NamedEdits"]


class NamedEdits:
    """Named edits of the start, undo and redo, for the stepper they are mixed into (see the
    module)."""

    # The stepper's.
    _edits: UndoStack

    def edit(self, edit: Edit) -> Snapshot:
        """Plan and apply ``edit`` at once; undoable (the stepper's)."""
        raise NotImplementedError

    def _record(self, description: str) -> EditRecord:
        """The start now, for Redo (the stepper's)."""
        raise NotImplementedError

    def _restore(self, record: EditRecord | None) -> Snapshot | None:
        """Go back to ``record``'s start (the stepper's)."""
        raise NotImplementedError

    @property
    def can_undo(self) -> bool:
        """True when an edit of the start can be undone."""
        return self._edits.can_undo

    @property
    def can_redo(self) -> bool:
        """True when an undone edit can be redone."""
        return self._edits.can_redo

    @property
    def undo_text(self) -> str:
        """Description of the edit :meth:`undo` would undo ("" if none)."""
        return self._edits.undo_text

    @property
    def redo_text(self) -> str:
        """Description of the edit :meth:`redo` would redo ("" if none)."""
        return self._edits.redo_text

    def undo(self) -> Snapshot | None:
        """Undo the last edit of the start (and forget any run from it)."""
        return self._restore(self._edits.undo(self._record))

    def redo(self) -> Snapshot | None:
        """Redo the last undone edit."""
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
