"""Reading a data file and building its first start, at once or off the UI thread.

:class:`Loader` is the window's loading, moved out of it as one piece so that it can be replaced
by the controller's ``Workspace.open_file`` (issue #10). Files of at least
:attr:`Loader.background_load_bytes` are read in a worker; a newer request replaces the one
waiting, and the load in flight is cancelled and its result dropped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop, QObject, Signal, Slot

from gmm_gui.controller.stepper import StartInfo, Stepper
from gmm_gui.controller.tasks import BackgroundTask
from gmm_gui.io import ColumnChoiceRequired, DataError, Dataset, load_dataset
from gmm_gui.model import Mixture

__all__ = [
    "BACKGROUND_LOAD_BYTES",
    "LoadRequest",
    "Loaded",
    "Loader",
    "check_features",
    "first_stepper",
    "load",
    "load_now",
]

#: Files of at least this many bytes are read, and their first start built, off the UI thread
#: (a CSV of about 100,000 rows; loading it takes longer than a frame).
BACKGROUND_LOAD_BYTES = 2_000_000


@dataclass(frozen=True)
class LoadRequest:
    """A file to open: its columns, and the first start (K, method, seed, or a given one)."""

    path: str
    columns: tuple[str, ...] | None
    n_components: int
    method: str
    seed: int
    title: str | None
    start: Mixture | None = None


@dataclass(frozen=True)
class Loaded:
    """What a background load hands back: the data and its stepper, or the problem."""

    request: LoadRequest
    dataset: Dataset | None = None
    stepper: Stepper | None = None
    error: ValueError | None = None


def check_features(dataset: Dataset, path: str | os.PathLike[str]) -> None:
    """Refuse data of other than one or two columns (the window shows one or two)."""
    if dataset.n_features not in (1, 2):
        raise DataError(f"{path}: {dataset.n_features} columns chosen; the window shows one or two")


def first_stepper(
    dataset: Dataset, n_components: int, method: str, seed: int, start: Mixture | None
) -> Stepper:
    """The stepper of newly opened data: from a given start, or one drawn by ``method``."""
    if start is not None:
        if start.n_features != dataset.n_features:
            raise DataError(
                f"the start has {start.n_features} dimensions, the data {dataset.n_features}"
            )
        return Stepper(dataset.values, start, start_info=StartInfo("placed", start.n_components))
    return Stepper.from_method(dataset.values, n_components, method, seed)


def load_now(request: LoadRequest, columns: Sequence[str] | None = None) -> tuple[Dataset, Stepper]:
    """Read the file and build its first start on this thread.

    Parameters
    ----------
    request : LoadRequest
    columns : sequence of str, optional
        Columns chosen instead of ``request.columns``.

    Raises
    ------
    ColumnChoiceRequired
        The file has more than two numeric columns and none were named.
    ValueError
        The file, the columns or the start cannot be used (a ``DataError`` says why).
    """
    path = request.path
    dataset = load_dataset(path, request.columns if columns is None else columns)
    check_features(dataset, path)
    stepper = first_stepper(
        dataset, request.n_components, request.method, request.seed, request.start
    )
    return dataset, stepper


def load(request: LoadRequest, should_cancel: Callable[[], bool]) -> Loaded | None:
    """Read the file and build its first start (runs in a worker thread; no Qt here)."""
    try:
        dataset = load_dataset(request.path, request.columns)
        if should_cancel():
            return None
        check_features(dataset, request.path)
        stepper = first_stepper(
            dataset, request.n_components, request.method, request.seed, request.start
        )
    except ValueError as exc:  # DataError is a ValueError, so is a bad K
        return Loaded(request, error=exc)
    return Loaded(request, dataset, stepper)


class Loader(QObject):
    """Background loads, one at a time, the newest request winning.

    The signals are named as the controller's ``Workspace`` names them.

    Signals
    -------
    load_started(str)
        A background load of this path is now the one asked for (under way or waiting).
    load_finished()
        No load is asked for any more (done, failed or cancelled); sent before ``loaded``,
        ``load_failed`` or ``columns_required``.
    loaded(object)
        The :class:`Loaded` data and stepper of the request asked for last.
    load_failed(str, str)
        The path, and the sentence that says why it could not be opened.
    columns_required(str, object, object)
        The file has more than two numeric columns: the path, the numeric columns' names and
        the :class:`LoadRequest` (start it again with the columns chosen).
    """

    load_started = Signal(str)
    load_finished = Signal()
    loaded = Signal(object)
    load_failed = Signal(str, str)
    columns_required = Signal(str, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.background_load_bytes = BACKGROUND_LOAD_BYTES
        self.task = BackgroundTask(self)
        self._request: LoadRequest | None = None  # the load asked for last
        self._running: LoadRequest | None = None  # the load in the worker
        self.task.finished.connect(self._on_finished)
        self.task.failed.connect(self._on_failed)

    @property
    def loading(self) -> bool:
        """True while a file is being read in the background (or waits to be)."""
        return self._request is not None

    def is_large(self, path: str | os.PathLike[str]) -> bool:
        """True when ``path`` is read in the background."""
        try:
            return os.path.getsize(path) >= self.background_load_bytes
        except OSError:
            return False  # the ordinary path says what is wrong with it

    def start(self, request: LoadRequest) -> None:
        """Read ``request`` in the worker; a newer request replaces it."""
        self._request = request
        if self.task.is_running():
            # Queued, never stacked: the load in flight is cancelled and this one starts when it
            # has ended (a newer request replaces this one meanwhile).
            self.task.cancel()
        else:
            self._run(request)
        self.load_started.emit(request.path)

    def cancel(self) -> bool:
        """Give up the load asked for (its result, when it comes, is dropped); True if any."""
        if self._request is None:
            return False
        self.task.cancel()
        self._end()
        return True

    def wait_loaded(self, timeout_ms: int = 60_000) -> bool:
        """Block until a background load has ended (for scripts and tests); True if it has."""
        deadline = QDeadlineTimer(timeout_ms)
        while self._request is not None and not deadline.hasExpired():
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        return self._request is None

    def shutdown(self) -> None:
        """Forget the request and stop the worker (on close)."""
        self._request = None
        self.task.shutdown()

    def _run(self, request: LoadRequest) -> None:
        self._running = request
        self.task.start(lambda _progress, should_cancel: load(request, should_cancel))

    def _next(self) -> None:
        """The worker has ended: start the request waiting, if any."""
        if self._request is not None and not self.task.is_running():
            self._run(self._request)

    def _end(self) -> None:
        self._request = None
        self.load_finished.emit()

    @Slot(object)
    def _on_finished(self, result: object) -> None:
        self._running = None
        if not isinstance(result, Loaded) or result.request is not self._request:
            self._next()
            return  # cancelled, or overtaken by a newer load
        self._end()
        error, request = result.error, result.request
        if isinstance(error, ColumnChoiceRequired):
            self.columns_required.emit(request.path, tuple(error.numeric_columns), request)
        elif error is not None or result.dataset is None or result.stepper is None:
            self.load_failed.emit(request.path, str(error))
        else:
            self.loaded.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self._request is None:
            return
        ran, self._running = self._running, None
        if ran is not self._request:
            self._next()
            return
        path = self._request.path
        self._end()
        self.load_failed.emit(path, f"{path}: {message}")
