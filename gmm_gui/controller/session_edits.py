"""The session's edits of the start: each one undo step, in the order asked (QtCore only).

:class:`SessionEdits` is mixed into :class:`~gmm_gui.controller.session.Session`, whose stepper,
job lane and announcements it uses. Small data sets are edited at once on the UI thread; above
the session's ``offload_threshold`` (or while a job runs) an edit is planned by a job of kind
``edit`` (policy QUEUE) and applied on the UI thread when it comes back, and a drag preview is a
job of kind ``preview`` (policy MERGE: the newest position wins).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Slot

from gmm_gui.controller.edits import (
    AddComponent,
    Edit,
    EditComponent,
    NewStart,
    PlannedEdit,
    RemoveComponent,
    SetStart,
    SetTableValue,
)
from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.controller.stepper import StartInfo, Stepper
from gmm_gui.model import Mixture

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from gmm_gui.controller.jobs import JobRunner, Work

__all__ = ["LANE", "NOT_EDITS", "SessionEdits"]

#: The runner lane the session's jobs share.
LANE = "session"

#: The session's kinds of job that are not edits (dropped by an edit: they would show a state
#: of the start before it).
NOT_EDITS = ("step", "iteration", "run", "preview")


class SessionEdits:
    """Edits of the start, undo and redo, and drag previews, for the session they are mixed
    into (see the module)."""

    # Provided by the Session.
    _stepper: Stepper | None
    _jobs: JobRunner
    _closed: bool
    preview_changed: SignalInstance
    state_changed: SignalInstance
    busy: bool
    edits_waiting: int
    pause: Callable[[], None]
    _offload: Callable[[], bool]
    _guard: Callable[[Callable[[], Any]], Any]
    _announce: Callable[[], None]
    _on_failure: Callable[[str], None]
    _prepared: Callable[[Work], Work]

    # --------------------------------------------------------------- editing
    def edit(self, edit: Edit) -> None:
        """An edit of the start (undoable): planned in the worker for large data, applied on
        the UI thread, in the order asked.

        Parameters
        ----------
        edit : SetStart, NewStart, AddComponent, RemoveComponent, EditComponent or SetTableValue
        """
        stepper = self._stepper
        if stepper is None or self._closed:
            return
        self.pause()
        self._jobs.drop(LANE, kinds=NOT_EDITS)
        if not self._offload() and not self.busy and not self.edits_waiting:
            self._guard(lambda: stepper.apply(stepper.plan(edit)))
            self._announce()  # refused too: see _on_edit_failed
            return
        self._jobs.submit(
            "edit",
            lambda _p, _c: stepper.plan(edit),
            payload=edit,
            on_result=lambda planned: self._on_planned(stepper, planned),
            on_failure=self._on_edit_failed,
        )
        self.state_changed.emit()

    def _on_planned(self, stepper: Stepper, planned: PlannedEdit) -> None:
        if stepper is self._stepper:
            self._guard(lambda: stepper.apply(planned))
            self._announce()  # refused too: see _on_edit_failed

    def _on_edit_failed(self, message: str) -> None:
        """The edit was refused: the view and the table may still show what the user dragged
        or typed, and must show the start as it is again."""
        self._on_failure(message)
        if self._stepper is not None:
            self._announce()

    def _history_edit(self, name: str) -> None:
        """Undo or redo, after the edits queued (nothing to compute)."""
        stepper = self._stepper
        if stepper is None or self._closed:
            return
        self.pause()
        self._jobs.drop(LANE, kinds=NOT_EDITS)

        def run_it() -> None:
            if stepper is self._stepper:
                self._guard(getattr(stepper, name))
                self._announce()

        if not self._offload() and not self.busy and not self.edits_waiting:
            run_it()
            return
        self._jobs.submit("edit", lambda: run_it(), lazy=True, payload=name)
        self.state_changed.emit()

    def new_start(self, n_components: int, method: str = "kmeans++", seed: int | None = 0) -> None:
        """A new random start from the engine's initialiser (undoable)."""
        self.edit(NewStart(n_components, method, seed))

    def set_start(self, mixture: Mixture | None, info: StartInfo | None = None) -> None:
        """Use ``mixture`` as the start, e.g. an imported parameter file (undoable)."""
        self.edit(SetStart(mixture, info, "import parameters"))

    @Slot(object)
    def add_component(self, mean: np.ndarray) -> None:
        """Place a Gaussian at ``mean`` with a spread that is a fraction of the data's."""
        if self._stepper is not None and self._stepper.editable:
            self.edit(AddComponent(mean))

    @Slot(int)
    def remove_component(self, k: int) -> None:
        """Remove Gaussian ``k`` (0-based) from the start."""
        if self._stepper is not None and self._stepper.editable:
            self.edit(RemoveComponent(k))

    @Slot(int, object, object)
    def preview_component(self, k: int, mean: np.ndarray, covariance: np.ndarray) -> None:
        """A drag of Gaussian ``k`` moves: show the preview (nothing is recorded).

        For large data the preview is computed in the worker; the newest position wins.
        """
        stepper = self._stepper
        if stepper is None or not stepper.editable or self._closed:
            return
        if self._offload() or self.busy:
            self._jobs.submit(
                "preview",
                self._prepared(lambda _p, _c: stepper.compute_preview(k, mean, covariance)),
                payload=k,
                on_result=lambda snap: self._on_preview(stepper, snap),
                on_failure=self._on_failure,
            )
            return
        preview = self._guard(lambda: stepper.compute_preview(k, mean, covariance))
        if preview is not None:
            self.preview_changed.emit(preview)

    def _on_preview(self, stepper: Stepper, snap: Snapshot) -> None:
        running = self._jobs.running(LANE)
        edit_ahead = self.edits_waiting or (running is not None and running.kind == "edit")
        if stepper is self._stepper and stepper.editable and not edit_ahead:
            self.preview_changed.emit(snap)

    @Slot(int, object, object)
    def finish_component_edit(self, k: int, mean: np.ndarray, covariance: np.ndarray) -> None:
        """A drag of Gaussian ``k`` ended: record it as one undo step."""
        stepper = self._stepper
        if stepper is not None and stepper.editable:
            self.edit(EditComponent(k, mean, covariance))

    def set_table_value(self, k: int, field: str, value: float) -> None:
        """Set one value of the component table of the start (undoable)."""
        if self._stepper is not None and self._stepper.editable:
            self.edit(SetTableValue(k, field, value))

    @Slot()
    def undo(self) -> None:
        """Undo the last edit of the start."""
        if self._stepper is not None and (
            self._stepper.can_undo or self.edits_waiting or self.busy
        ):
            self._history_edit("undo")

    @Slot()
    def redo(self) -> None:
        """Redo the last undone edit."""
        if self._stepper is not None and (
            self._stepper.can_redo or self.edits_waiting or self.busy
        ):
            self._history_edit("redo")
