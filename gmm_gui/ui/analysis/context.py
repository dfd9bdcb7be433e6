"""What the analysis tools are handed instead of the window: the data, the session, the start.

:class:`AnalysisContext` is an interim stand-in for the controller's ``Workspace`` (issue #10):
its attribute names are the Workspace's (``session``, ``dataset``, ``start_options``,
``set_start_options``, ``data_changed``, ``state_changed``), so the tools keep working when the
window hands them the real Workspace instead. It holds no logic of its own beyond passing on the
session's announcements. (Messages to the user go through the overlay API, which is UI.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

if TYPE_CHECKING:
    from gmm_gui.controller.session import Session
    from gmm_gui.controller.stepper import Stepper
    from gmm_gui.io import Dataset

__all__ = ["AnalysisContext", "StartOptions"]


@dataclass(frozen=True)
class StartOptions:
    """How a new random start is drawn (the toolbar's K box, start method and seed).

    Interim twin of ``controller/settings.py``'s ``StartOptions`` (same fields).
    """

    n_components: int = 2
    method: str = "kmeans++"
    seed: int = 0


class AnalysisContext(QObject):
    """The open data, its session and the start options, as the analysis tools see them.

    Parameters
    ----------
    session : Session
        The controller of the data open.
    parent : QObject, optional

    Signals
    -------
    data_changed(object)
        Other data is open (the new :class:`~gmm_gui.io.Dataset`); results made for the data
        before are stale.
    state_changed(object)
        The session's state or the start options changed. The payload is ``None`` here (the
        Workspace sends its ``WorkspaceState``); read what is needed from the context.
    """

    data_changed = Signal(object)
    state_changed = Signal(object)

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._dataset: Dataset | None = None
        self._start_options = StartOptions()
        session.data_changed.connect(self._on_data_changed)
        session.state_changed.connect(self._on_state_changed)

    @property
    def dataset(self) -> Dataset | None:
        """The data open, or ``None``."""
        return self._dataset

    @property
    def start_options(self) -> StartOptions:
        """K, start method and seed of the next random start."""
        return self._start_options

    def set_start_options(self, options: StartOptions) -> None:
        """Use ``options`` for the next random start (announced by ``state_changed``)."""
        if options != self._start_options:
            self._start_options = options
            self.state_changed.emit(None)

    def set_data(self, dataset: Dataset, stepper: Stepper) -> None:
        """Open ``dataset`` with its first ``stepper`` (``data_changed`` follows)."""
        self._dataset = dataset
        self.session.set_stepper(stepper)

    def new_start(self) -> None:
        """Draw a new start with :attr:`start_options` (undoable)."""
        o = self._start_options
        self.session.new_start(o.n_components, o.method, o.seed)

    @Slot()
    def _on_data_changed(self) -> None:
        self.data_changed.emit(self._dataset)

    @Slot()
    def _on_state_changed(self) -> None:
        self.state_changed.emit(None)
