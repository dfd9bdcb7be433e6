"""The workspace: the open data set, its session, the settings, loading, one job runner.

:class:`Workspace` sits between the window and the work (QtCore only). It owns the
:class:`~gmm_gui.io.Dataset` open, the :class:`~gmm_gui.controller.session.Session` that runs
EM on it, the :class:`~gmm_gui.controller.settings.ModelSettings` and
:class:`~gmm_gui.controller.settings.StartOptions`, and the
:class:`~gmm_gui.controller.jobs.JobRunner` whose lanes run the session's jobs (lane
``"session"``), loading (lane ``"loader"``) and whatever else the window asks of it (the docks
register their own kinds and lanes).

After every change it announces one immutable :class:`WorkspaceState`; the window reads only
that.

Loading: a small file is read on the UI thread (:meth:`Workspace.open_file` raises what is wrong
with it); a file of at least :attr:`Workspace.background_load_bytes` is read, and its first
start drawn, in a job of kind ``"load"`` (policy REPLACE). The newest open request always wins:
a background load replaces the one before it, and a file opened on the UI thread drops any
background load still under way, so a late large file never replaces a newer small one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop, QObject, Signal, Slot

from gmm_gui.controller.edits import SetSettings
from gmm_gui.controller.jobs import JobRunner, Kind, Policy
from gmm_gui.controller.loading import Loaded, LoadRequest, read
from gmm_gui.controller.session import Session
from gmm_gui.controller.settings import ModelSettings, StartOptions
from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.controller.stepper import Stepper
from gmm_gui.io import ColumnChoiceRequired, Dataset
from gmm_gui.model import Mixture

__all__ = [
    "BACKGROUND_LOAD_BYTES",
    "LOAD_KIND",
    "LOAD_LANE",
    "LoadRequest",
    "Loaded",
    "Workspace",
    "WorkspaceState",
    "read",
]

#: Files of at least this many bytes are read, and their first start built, off the UI thread
#: (a CSV of about 100,000 rows; loading it takes longer than a frame).
BACKGROUND_LOAD_BYTES = 2_000_000

#: The kind and the lane of a background load.
LOAD_KIND = "load"
LOAD_LANE = "loader"


def _read_only(values: np.ndarray) -> np.ndarray:
    values = np.array(values, dtype=float, copy=True)
    values.setflags(write=False)
    return values


@dataclass(frozen=True)
class WorkspaceState:
    """Everything the window shows about the workspace, at one moment (immutable).

    Attributes
    ----------
    dataset : Dataset or None
    title : str or None
        What the plot is titled: the title the file was opened with, else the data's name.
    snapshot : Snapshot or None
        The state shown.
    index : int
        Its position in the history (0 without data).
    history_length : int
        States computed so far (0 without data).
    log_likelihoods : array of shape (n_iterations + 1,)
        Mean log-likelihood per point of the start and after each iteration (read-only).
    converged_at : int or None
    next_phase : "E", "M" or None
    editable : bool
        The start is shown and may be edited.
    has_mixture : bool
        The state shown has Gaussians.
    can_undo, can_redo : bool
    undo_text, redo_text : str
        What Undo and Redo would undo and redo ("" if nothing).
    busy : bool
        A session job runs in the worker.
    job_kind : str or None
        ``"step"``, ``"run"``, ``"preview"``, ``"edit"`` or ``None``.
    playing : bool
    loading : str or None
        The file being read in the background.
    settings : ModelSettings
    start_options : StartOptions
    """

    dataset: Dataset | None = None
    title: str | None = None
    snapshot: Snapshot | None = None
    index: int = 0
    history_length: int = 0
    log_likelihoods: np.ndarray = field(default_factory=lambda: _read_only(np.empty(0)))
    converged_at: int | None = None
    next_phase: str | None = None
    editable: bool = False
    has_mixture: bool = False
    can_undo: bool = False
    can_redo: bool = False
    undo_text: str = ""
    redo_text: str = ""
    busy: bool = False
    job_kind: str | None = None
    playing: bool = False
    loading: str | None = None
    settings: ModelSettings = field(default_factory=ModelSettings)
    start_options: StartOptions = field(default_factory=StartOptions)


class Workspace(QObject):
    """The open data, its session, the settings, loading and the job runner.

    Parameters
    ----------
    parent : QObject, optional
    offload_threshold : int, optional
        Passed to the :class:`Session` (data sets at least this large are computed off the UI
        thread).

    Attributes
    ----------
    background_load_bytes : int
        Files at least this large are read in the background (tests set it).

    Signals
    -------
    state_changed(object)
        A new :class:`WorkspaceState` (after every change of the data, the session, loading or
        the settings).
    data_changed(object)
        A new :class:`~gmm_gui.io.Dataset` was installed: its session has its new stepper,
        and the new data's first snapshot and state are announced right after (so whatever
        was shown for the data before can be cleared before the new data are drawn).
    load_started(str)
        A background load of this path began.
    load_finished()
        The background load ended (done, failed, cancelled or replaced by a newer open); emitted
        before ``data_changed``, ``load_failed`` or ``columns_required``.
    load_failed(str, str)
        The path and the sentence that says why it could not be opened.
    columns_required(str, object, object)
        The file has more than two numeric columns: the path, the numeric columns' names and the
        :class:`LoadRequest`; answer with :meth:`open_request` and the columns chosen.
    """

    state_changed = Signal(object)
    data_changed = Signal(object)
    load_started = Signal(str)
    load_finished = Signal()
    load_failed = Signal(str, str)
    columns_required = Signal(str, object, object)

    def __init__(
        self, parent: QObject | None = None, *, offload_threshold: int | None = None
    ) -> None:
        super().__init__(parent)
        self.background_load_bytes = BACKGROUND_LOAD_BYTES
        self._jobs = JobRunner(self)
        self._jobs.register(Kind(LOAD_KIND, Policy.REPLACE, lane=LOAD_LANE))
        options = {} if offload_threshold is None else {"offload_threshold": offload_threshold}
        self._session = Session(self, jobs=self._jobs, **options)
        self._dataset: Dataset | None = None
        self._title: str | None = None
        self._settings = ModelSettings()
        self._start_options = StartOptions()
        self._loading: LoadRequest | None = None
        self._installing: Dataset | None = None
        self._closed = False
        self._state = WorkspaceState()
        self._pending = False  # a change not yet announced (the runner is settling)
        self._deferred: list[tuple[Callable[..., object], tuple[object, ...]]] = []
        self._jobs.settled.connect(self._on_settled)
        s = self._session
        s.data_changed.connect(self._on_session_data)
        for signal in (s.snapshot_changed, s.state_changed, s.busy_changed, s.playing_changed):
            signal.connect(self._announce)

    # ------------------------------------------------------------ properties
    @property
    def dataset(self) -> Dataset | None:
        """The data open, or ``None``."""
        return self._dataset

    @property
    def title(self) -> str | None:
        """What the plot is titled: the title the data were opened with, else their name."""
        return self._title or (self._dataset.name if self._dataset is not None else None)

    @property
    def session(self) -> Session:
        """The session running EM on the data open."""
        return self._session

    @property
    def jobs(self) -> JobRunner:
        """The job runner (register a kind in a lane of your own to run work in it)."""
        return self._jobs

    @property
    def settings(self) -> ModelSettings:
        """How EM fits: the settings chosen last (a change may still be on its way to the
        stepper), or restored by Undo and Redo; the files opened next use them too."""
        return self._settings

    @property
    def start_options(self) -> StartOptions:
        """How a new start is drawn."""
        return self._start_options

    @property
    def state(self) -> WorkspaceState:
        """The current state (announced, or about to be when a hand-over settles)."""
        if self._pending and not self._closed:
            self._state = self._fresh_state()
        return self._state

    @property
    def loading(self) -> bool:
        """True while a file is being read in the background."""
        return self._loading is not None

    # ---------------------------------------------------------------- state
    def _make_state(self) -> WorkspaceState:
        session = self._session
        stepper = session.stepper
        common = {
            "dataset": self._dataset,
            "title": self.title,
            "busy": session.busy,
            "job_kind": session.job_kind,
            "playing": session.playing,
            "loading": None if self._loading is None else self._loading.path,
            "settings": self._settings,
            "start_options": self._start_options,
        }
        if stepper is None:
            return WorkspaceState(**common)  # type: ignore[arg-type]
        snapshot = stepper.snapshot
        return WorkspaceState(
            snapshot=snapshot,
            index=stepper.index,
            history_length=len(stepper.history),
            log_likelihoods=_read_only(stepper.log_likelihoods()),
            converged_at=stepper.converged_at(),
            next_phase=stepper.next_phase,
            editable=stepper.editable,
            has_mixture=snapshot.mixture is not None,
            can_undo=stepper.can_undo,
            can_redo=stepper.can_redo,
            undo_text=stepper.undo_text,
            redo_text=stepper.redo_text,
            **common,  # type: ignore[arg-type]
        )

    def _announce(self, *_args: object) -> None:
        """Announce the state now, or once when the job runner's submission or delivery under
        way has settled (one hand-over emits half a dozen session signals: one state for them)."""
        if self._closed:
            return
        if self._jobs.settling:
            self._pending = True
            return
        self._pending = False
        self._state = self._fresh_state()
        self.state_changed.emit(self._state)

    def _on_settled(self) -> None:
        if self._pending:
            self._announce()
        deferred, self._deferred = self._deferred, []
        for emit, args in deferred:
            emit(*args)

    def _fresh_state(self) -> WorkspaceState:
        session = self._session
        if session.stepper is not None and not session.edits_waiting and (
            session.job_kind != "edit"
        ):
            self._settings = session.stepper.settings  # no change on its way: after an undo too
        return self._make_state()

    # ------------------------------------------------------------- settings
    def set_settings(self, settings: ModelSettings) -> None:
        """Use ``settings`` from now on (also for the files opened next).

        With data open and settings that differ, EM starts again from the start with them
        (the start made of their covariance type): one undoable edit of the session
        (:class:`~gmm_gui.controller.edits.SetSettings`), which Undo reverts, the settings
        with it.
        """
        stepper = self._session.stepper
        if settings == self._settings and (stepper is None or stepper.settings == settings):
            return
        self._settings = settings
        if stepper is not None and settings != stepper.settings:
            self._session.edit(SetSettings(settings))
        self._announce()

    def set_start_options(self, options: StartOptions) -> None:
        """Draw new starts (and the first start of files opened) with ``options``."""
        if options != self._start_options:
            self._start_options = options
            self._announce()

    @Slot()
    def new_start(self) -> None:
        """A new start drawn with :attr:`start_options` (undoable)."""
        o = self._start_options
        self._session.new_start(o.n_components, o.method, o.seed)

    # -------------------------------------------------------------- loading
    def open_file(
        self,
        path: str | os.PathLike[str],
        columns: Sequence[str] | None = None,
        *,
        n_components: int | None = None,
        title: str | None = None,
        start: Mixture | None = None,
        background: bool | None = None,
    ) -> bool:
        """Open a data file with a new start; on failure the data open are kept.

        Parameters
        ----------
        path : str or path-like
        columns : sequence of str, optional
            The columns to fit (required for a file with more than two numeric columns).
        n_components : int, optional
            K of the first start (default: :attr:`start_options`); also becomes the K of the
            start options once the file is open.
        title : str, optional
            Shown above the plot instead of the file name.
        start : Mixture, optional
            The first start; default: drawn by :attr:`start_options`.
        background : bool, optional
            Read in the background (a ``"load"`` job); default: for files of at least
            :attr:`background_load_bytes`.

        Returns
        -------
        bool
            True if the file was opened, or its background load began.

        Raises
        ------
        DataError, ValueError
            On the UI thread only: what is wrong with the file (``ColumnChoiceRequired`` for a
            file whose columns must be chosen). A background load reports by signals.
        """
        if self._closed:
            return False
        options = self._start_options
        if start is not None:
            n_components = start.n_components
        if n_components is not None:
            options = replace(options, n_components=int(n_components))
        request = LoadRequest(
            str(path),
            None if columns is None else tuple(columns),
            options,
            self._settings,
            title,
            start,
        )
        if background is None:
            background = self._large(path)
        return self.open_request(request, background=background)

    def open_request(self, request: LoadRequest, *, background: bool = True) -> bool:
        """Open ``request`` (e.g. again with the columns chosen after ``columns_required``).

        See :meth:`open_file`; the newest request always wins.
        """
        if self._closed:
            return False
        if background:
            self._start_load(request)
            return True
        # Newest wins: a background load still under way is dropped, whatever happens here.
        self._drop_load()
        loaded = read(request)
        assert loaded is not None
        if loaded.error is not None:
            raise loaded.error
        assert loaded.dataset is not None and loaded.stepper is not None
        self._install(loaded)
        return True

    def _large(self, path: str | os.PathLike[str]) -> bool:
        try:
            return os.path.getsize(path) >= self.background_load_bytes
        except OSError:
            return False  # the ordinary path says what is wrong with it

    def _start_load(self, request: LoadRequest) -> None:
        self._loading = request
        self._jobs.submit(
            LOAD_KIND,
            lambda _progress, should_cancel: read(request, should_cancel),
            payload=request,
            on_result=self._on_loaded,
            on_failure=lambda message: self._on_load_failed(request, message),
        )
        self.load_started.emit(request.path)
        self._announce()

    def _drop_load(self) -> bool:
        """Forget the background load (its result will be dropped); True if there was one."""
        self._jobs.drop(LOAD_LANE)
        if self._loading is None:
            return False
        self._loading = None
        self.load_finished.emit()
        self._announce()
        return True

    def _on_loaded(self, loaded: Loaded | None) -> None:
        if loaded is None or loaded.request is not self._loading:
            return  # cancelled (the runner delivers only the newest request's result)
        self._loading = None
        self.load_finished.emit()
        error = loaded.error
        if isinstance(error, ColumnChoiceRequired):
            self._announce()
            self._after_settle(
                self.columns_required.emit,
                loaded.request.path, tuple(error.numeric_columns), loaded.request,
            )
            return
        if error is not None or loaded.dataset is None or loaded.stepper is None:
            self._announce()
            self._after_settle(self.load_failed.emit, loaded.request.path, str(error))
            return
        self._install(loaded)

    def _on_load_failed(self, request: LoadRequest, message: str) -> None:
        if request is not self._loading:
            return
        self._loading = None
        self.load_finished.emit()
        self._announce()
        self._after_settle(self.load_failed.emit, request.path, f"{request.path}: {message}")

    def _after_settle(self, emit: Callable[..., object], *args: object) -> None:
        """Emit a signal that a window answers with a modal dialog once the job runner has
        settled and the state is announced: a dialog's event loop inside the hand-over would
        hold every announcement back until it closes (the window showing "loading" behind
        the column picker, the panels frozen while Play goes on)."""
        if self._jobs.settling:
            self._deferred.append((emit, args))
        else:
            emit(*args)

    def _install(self, loaded: Loaded) -> None:
        assert loaded.dataset is not None and loaded.stepper is not None
        request = loaded.request
        self._dataset = loaded.dataset
        self._title = request.title
        self._start_options = request.start_options
        stepper = loaded.stepper
        if request.settings != self._settings:  # other settings chosen while the file was read
            start = stepper.start
            if start is not None and start.covariance_type != self._settings.covariance_type:
                start = start.as_type(self._settings.covariance_type)
            stepper = Stepper(
                stepper.X, start, start_info=stepper.start_info,
                **self._settings.stepper_options(),
            )
        self._installing = loaded.dataset
        try:
            self._session.set_stepper(stepper)  # data_changed from _on_session_data
        finally:
            self._installing = None
        self._announce()

    @Slot()
    def _on_session_data(self) -> None:
        # The session has the new stepper and has not yet announced its first snapshot.
        if self._installing is not None:
            self.data_changed.emit(self._installing)

    def wait_loaded(self, timeout_ms: int = 60_000) -> bool:
        """Block until a background load has ended (for scripts and tests); True if it has."""
        deadline = QDeadlineTimer(timeout_ms)
        while self._loading is not None and not deadline.hasExpired():
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        return self._loading is None

    @Slot()
    def cancel(self) -> bool:
        """Cancel (Esc): stop the file being loaded (the data open are kept), else the run in
        progress. True if a load was cancelled."""
        if self._drop_load():
            return True
        self._session.cancel()
        return False

    # -------------------------------------------------------------- closing
    @Slot()
    def shutdown(self) -> None:
        """Stop the session and every job (waiting for their threads, within a bound)."""
        self._loading = None
        self._session.shutdown()
        self._jobs.shutdown()
        self._closed = True
