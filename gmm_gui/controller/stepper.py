"""The EM half-step state machine on one data set, composing its history and its edits (no Qt).

A :class:`Stepper` holds the data, the starting mixture and the
:class:`~gmm_gui.controller.history.History` of every state reached so far
(``start -> E -> M -> E -> M ...``), each an immutable
:class:`~gmm_gui.controller.snapshot.Snapshot`.
Going back and forth through the history never recomputes a half-step, and memory stays bounded
(see :mod:`gmm_gui.controller.history`). Before a run the start can be edited (add, remove, move,
reshape a Gaussian, set a value in the table, pick a new random start, import one): each edit is
a frozen dataclass of :mod:`gmm_gui.controller.edits`; every finished edit can be undone and
redone.

The computing parts (:meth:`Stepper.compute_next`, :meth:`Stepper.compute_preview`,
:meth:`Stepper.compute_run`) read only immutable state and return new snapshots without changing
the stepper, so a worker thread may run them while the UI thread keeps drawing; the UI thread then
hands the result back with :meth:`Stepper.push` or :meth:`Stepper.push_many`. Edits of the start
split the same way: :meth:`Stepper.plan` (pure: draws a new start, computes the new start's
log-likelihood) and :meth:`Stepper.apply` (cheap, on the UI thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from gmm_gui.controller.edits import (
    TABLE_FIELDS,
    AddComponent,
    Edit,
    EditComponent,
    EditRecord,
    NewStart,
    PlannedEdit,
    RemoveComponent,
    SetSettings,
    SetStart,
    SetTableValue,
    StartInfo,
    UndoStack,
    moved,
)
from gmm_gui.controller.halfsteps import (
    DEFAULT_SPREAD_FRACTION,
    CancelCallback,
    HalfSteps,
    ProgressCallback,
)
from gmm_gui.controller.history import DEFAULT_RESP_CACHE_BYTES, History
from gmm_gui.controller.named_edits import NamedEdits
from gmm_gui.controller.settings import ModelSettings
from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.io.mixture_file import FitInfo
from gmm_gui.model import Mixture

__all__ = [
    "DEFAULT_RESP_CACHE_BYTES",
    "START_METHODS",
    "EditRecord",
    "PlannedEdit",
    "StartInfo",
    "Stepper",
    "TABLE_FIELDS",
]

#: What Undo says of a reset (the run it set aside comes back).
RESET_DESCRIPTION = "reset to the start"

#: Start methods offered to the user, as (engine name, label shown in the window).
START_METHODS: tuple[tuple[str, str], ...] = (
    ("random", "Random"),
    ("kmeans++", "k-means++"),
    ("random_from_data", "From data"),
)

_EDITS = (
    SetStart, NewStart, AddComponent, RemoveComponent, EditComponent, SetTableValue, SetSettings
)


class Stepper(NamedEdits):
    """Half-steps of EM on one data set, with the full history and an editable start.

    The named edits of the start (``set_start``, ``new_start``, ``add_component``,
    ``remove_component``, ``edit_component``, ``set_table_value``), undo and redo are those of
    :class:`~gmm_gui.controller.named_edits.NamedEdits`.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        The data; copied and made read-only.
    start : Mixture, optional
        The starting Gaussians; ``None`` until the user places some.
    covariance_type : str
        Passed to the M-step (``"full"`` in the window).
    reg_covar : float
        Added to each covariance's diagonal by the M-step.
    tol : float
        EM has converged when the mean log-likelihood per point changes by less than ``tol``
        from one iteration to the next, tested exactly as :func:`gmm_gui.model.fit` (and
        scikit-learn) test it, so a run to convergence ends where ``fit`` ends.
    max_iter : int
        Run to convergence stops after this many iterations in any case (default 100, as
        ``fit``).
    prior : bool
        MAP-EM with mclust's default prior (``Prior.default(X, K)``); the snapshots' mean
        log-likelihood and history then hold the mean log-posterior per point, which ``tol``
        is tested on.
    start_info : StartInfo, optional
        Where ``start`` came from.
    resp_cache_bytes : int
        Responsibilities of past states are kept within this budget (see the module's notes);
        the state shown and the newest are always kept.
    """

    def __init__(
        self,
        X: np.ndarray,
        start: Mixture | None = None,
        *,
        covariance_type: str = "full",
        reg_covar: float = 1e-6,
        tol: float = 1e-3,
        max_iter: int = 100,
        prior: bool = False,
        start_info: StartInfo | None = None,
        resp_cache_bytes: int = DEFAULT_RESP_CACHE_BYTES,
    ) -> None:
        self._steps = HalfSteps(
            X,
            covariance_type=covariance_type,
            reg_covar=reg_covar,
            tol=tol,
            max_iter=max_iter,
            prior=prior,
        )
        self._X = self._steps.X
        self._edits = UndoStack()
        self._info = start_info or StartInfo(
            "placed" if start is None else "imported",
            0 if start is None else start.n_components,
        )
        self._check_mixture(start)
        self._history = History(
            self._steps.start_snapshot(start),
            lambda mixture: self._steps.recompute_resp(mixture),  # the settings may change
            resp_cache_bytes,
        )

    @classmethod
    def from_method(
        cls,
        X: np.ndarray,
        n_components: int,
        method: str = "kmeans++",
        seed: int | None = 0,
        **options: object,
    ) -> Stepper:
        """A stepper whose start is drawn by the engine's initialiser (nothing to undo yet).

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        n_components : int
        method : {"random", "kmeans++", "random_from_data", "kmeans"}
        seed : int or None
        **options
            ``covariance_type``, ``reg_covar``, ``tol``, ``max_iter``, ``prior``,
            ``resp_cache_bytes``.
        """
        stepper = cls(X, None, **options)  # type: ignore[arg-type]
        stepper.new_start(n_components, method, seed)
        stepper._edits.clear()
        return stepper

    # ------------------------------------------------------------------ state
    @property
    def covariance_type(self) -> str:
        """Passed to the M-step."""
        return self._steps.covariance_type

    @property
    def reg_covar(self) -> float:
        """Added to each covariance's diagonal by the M-step."""
        return self._steps.reg_covar

    @property
    def tol(self) -> float:
        """The convergence threshold on the mean log-likelihood's change."""
        return self._steps.tol

    @property
    def max_iter(self) -> int:
        """A run to convergence stops after this many iterations in any case."""
        return self._steps.max_iter

    @property
    def settings(self) -> ModelSettings:
        """The model settings (changed, undoably, by a :class:`SetSettings` edit)."""
        steps = self._steps
        return ModelSettings(
            steps.covariance_type, steps.reg_covar, steps.tol, steps.max_iter, steps.prior
        )

    @property
    def prior(self) -> bool:
        """Whether the M-step is MAP under mclust's default prior (the curve: log-posterior)."""
        return self._steps.prior

    @property
    def X(self) -> np.ndarray:
        """The data, read-only array of shape (n_samples, n_features)."""
        return self._X

    @property
    def n_samples(self) -> int:
        """Number of data points."""
        return int(self._X.shape[0])

    @property
    def n_features(self) -> int:
        """Dimension of the data."""
        return int(self._X.shape[1])

    @property
    def start(self) -> Mixture | None:
        """The starting mixture (first state of the history)."""
        return self._history.start.mixture

    @property
    def start_info(self) -> StartInfo:
        """Where the current start came from."""
        return self._info

    @property
    def snapshot(self) -> Snapshot:
        """The state shown now (its responsibilities brought back if they were let go)."""
        return self._history.materialised(self._history.index)

    @property
    def index(self) -> int:
        """Position of :attr:`snapshot` in :attr:`history`."""
        return self._history.index

    @property
    def history(self) -> tuple[Snapshot, ...]:
        """Every state computed so far, the start first.

        Past states whose responsibilities were let go (see :mod:`~gmm_gui.controller.history`)
        have ``resp=None`` here; :meth:`go_to` brings them back.
        """
        return self._history.states

    @property
    def resp_cache_bytes(self) -> int:
        """Budget of the responsibilities held by the history, in bytes."""
        return self._history.resp_cache_bytes

    @resp_cache_bytes.setter
    def resp_cache_bytes(self, value: int) -> None:
        self._history.resp_cache_bytes = int(value)

    @property
    def resp_bytes(self) -> int:
        """Bytes of responsibilities held by the history."""
        return self._history.resp_bytes

    @property
    def last(self) -> Snapshot:
        """The newest state computed."""
        return self._history.materialised(len(self._history) - 1)

    @property
    def editable(self) -> bool:
        """True when the start is shown and may be edited."""
        return self._history.index == 0

    @property
    def next_phase(self) -> str | None:
        """``"E"`` or ``"M"``: the half-step :meth:`step` does next; ``None`` if nothing to do."""
        snap = self.snapshot
        if snap.mixture is None:
            return None
        index = self._history.index
        if index < len(self._history) - 1:
            return self._history.raw(index + 1).phase
        if snap.phase == "M" and (snap.converged or snap.stopped_at_max_iter):
            return None  # EM has stopped: converged, or max_iter iterations made
        return "M" if snap.phase == "E" else "E"

    @property
    def at_end(self) -> bool:
        """True when the newest state is shown and EM has stopped (converged, or max_iter
        iterations made) or cannot go on."""
        return self._history.index == len(self._history) - 1 and self.next_phase is None

    def log_likelihoods(self) -> np.ndarray:
        """Mean log-likelihood per point of the start and after each iteration computed so far.

        Returns
        -------
        ll : array of shape (n_iterations + 1,)
            ``ll[0]`` is the start's, ``ll[t]`` the mixture's after iteration ``t``; NaN where
            unknown (no start).
        """
        start_ll = self._history.start.mean_log_likelihood
        values = [np.nan if start_ll is None else start_ll]
        values.extend(self._history.newest.history)  # as stored: no E-step to read them
        return np.asarray(values, dtype=float)

    def converged_at(self) -> int | None:
        """The iteration at which EM converged, if it has."""
        # Nothing is computed after a converged M-step, so only the newest state can be it.
        last = self._history.newest
        return last.iteration if last.converged and last.phase == "M" else None

    def index_of_iteration(self, iteration: int) -> int:
        """History index of the state at the end of ``iteration`` (0: the start).

        An iteration not computed yet gives the newest state.
        """
        if iteration <= 0:
            return 0
        for i, snap in enumerate(self._history.states):
            if snap.phase == "M" and snap.iteration == iteration:
                return i
        return len(self._history) - 1

    def responsibilities(self, snap: Snapshot | None = None) -> np.ndarray:
        """Responsibilities of the mixture of ``snap`` (default: the state shown).

        At the start (no E-step yet) they are computed from the start mixture.

        Returns
        -------
        resp : array of shape (n_samples, n_components)
        """
        snap = self.snapshot if snap is None else snap
        if snap.mixture is None:
            raise ValueError("there are no Gaussians yet")
        if snap.resp is not None and snap.phase == "E":
            return snap.resp
        return self._steps.mean_e_step(snap.mixture)[0]

    def fit_info(self, snap: Snapshot | None = None) -> FitInfo:
        """What to write in a parameter file's ``"fit"`` block for ``snap`` (default: shown)."""
        return self._steps.fit_info(self.snapshot if snap is None else snap, self._info.seed)

    # -------------------------------------------------------------- computing
    def compute_next(self, snap: Snapshot) -> Snapshot:
        """The state one half-step after ``snap`` (pure: the stepper is not changed).

        After the start or an M-step comes an E-step (new responsibilities, same Gaussians);
        after an E-step an M-step (new Gaussians, points still coloured by the responsibilities
        that produced them).
        """
        return self._steps.next(snap, self._history.start.mean_log_likelihood)

    def compute_run(
        self,
        snap: Snapshot,
        max_half_steps: int | None = None,
        *,
        tol: float | None = None,
        max_iter: int | None = None,
        progress: ProgressCallback | None = None,
        should_cancel: CancelCallback | None = None,
    ) -> list[Snapshot]:
        """Half-steps from ``snap`` until convergence (pure: the stepper is not changed).

        Parameters
        ----------
        snap : Snapshot
            The state to go on from.
        max_half_steps : int, optional
            Stop after this many half-steps; default: until ``max_iter`` iterations in all.
        tol, max_iter : optional
            The stopping rule of this run instead of the stepper's :attr:`tol` and
            :attr:`max_iter` (Restarts climb to :data:`~gmm_gui.model.RUN_TOL`, and a run they
            list, loaded and run here with the same ``tol``, ends where it ended). The new
            states carry them (``Snapshot.tol``, ``Snapshot.max_iter``). A state that has
            already converged under a looser rule is not reopened.
        progress : callable(iteration, snapshot), optional
            Called after every M-step.
        should_cancel : callable() -> bool, optional
            Polled before every half-step; the states computed so far are returned.

        Returns
        -------
        list of Snapshot
            The new states, oldest first (empty if nothing was left to do).
        """
        steps = self._steps.with_rule(tol, max_iter)
        return steps.run(
            snap,
            self._history.start.mean_log_likelihood,
            max_half_steps,
            progress=progress,
            should_cancel=should_cancel,
            step=self.compute_next if steps is self._steps else None,
        )

    def compute_preview(self, k: int, mean: np.ndarray, covariance: np.ndarray) -> Snapshot:
        """The start with component ``k`` moved/reshaped, points coloured by its E-step (pure).

        Used while the user drags: nothing is recorded.
        """
        if self.start is None:
            raise ValueError("there are no Gaussians yet: click on the plot to place one")
        mixture = moved(self.start, k, mean, covariance)
        return self.preview_of(mixture)

    def preview_of(self, mixture: Mixture) -> Snapshot:
        """A start-state snapshot of ``mixture`` with its responsibilities shown (pure)."""
        resp, mean_ll = self._steps.mean_e_step(mixture)
        objective = self._steps.objective(mixture, mean_ll)
        return replace(
            self._history.start, mixture=mixture, resp=resp, mean_log_likelihood=objective
        )

    # -------------------------------------------------------------- advancing
    def continues(self, snap: Snapshot) -> bool:
        """Whether ``snap`` is the half-step right after the newest state of the history."""
        last = self.last
        if last.mixture is None:
            return False
        if last.phase == "E":
            return snap.phase == "M" and snap.iteration == last.iteration + 1
        return snap.phase == "E" and snap.iteration == last.iteration and (
            snap.mixture is last.mixture
        )

    def push(self, snap: Snapshot) -> Snapshot:
        """Append a computed state after the newest one and show it."""
        return self.push_many([snap])

    def push_many(self, snaps: Sequence[Snapshot]) -> Snapshot:
        """Append computed states (from :meth:`compute_run`) and show the newest."""
        self._history.extend(snaps)
        return self.snapshot

    def step(self) -> Snapshot | None:
        """Do the next half-step (or move forward in the history if it is already computed).

        Returns the new state, or ``None`` when there is nothing to do (no Gaussians, or EM has
        converged and the newest state is shown).
        """
        if self._history.index < len(self._history) - 1:
            self._history.go_to(self._history.index + 1)
            return self.snapshot
        if self.next_phase is None:
            return None
        return self.push(self.compute_next(self.snapshot))

    def step_phase(self, phase: str) -> Snapshot | None:
        """Do the next half-step only if it is of ``phase`` (``"E"`` or ``"M"``)."""
        if phase not in ("E", "M"):
            raise ValueError(f"phase must be 'E' or 'M', got {phase!r}")
        if self.next_phase != phase:
            return None
        return self.step()

    def next_iteration(self) -> Snapshot | None:
        """Half-steps up to and including the next M-step."""
        result = None
        while self.next_phase is not None:
            result = self.step()
            if result is None or result.phase == "M":
                break
        return result

    def run_to_convergence(
        self, *, tol: float | None = None, max_iter: int | None = None
    ) -> Snapshot:
        """Go on until EM converges (or ``max_iter``); returns the newest state.

        ``tol`` and ``max_iter`` replace the stepper's stopping rule for this run only (see
        :meth:`compute_run`).
        """
        self._history.go_to(len(self._history) - 1)
        return self.push_many(self.compute_run(self.snapshot, tol=tol, max_iter=max_iter))

    def go_to(self, index: int) -> Snapshot:
        """Show the state at ``index`` of the history (clipped), without recomputing."""
        self._history.go_to(index)
        return self.snapshot

    def reset(self) -> Snapshot:
        """Back to the start, the run set aside for Undo; the start may be edited again."""
        if len(self._history) > 1:
            self._edits.push(self._record(RESET_DESCRIPTION))
        self._run_redo = None
        self._history.truncate()
        return self.snapshot

    # --------------------------------------------------------------- editing
    def _check_mixture(self, mixture: Mixture | None) -> None:
        if mixture is not None and mixture.n_features != self.n_features:
            raise ValueError(
                f"the parameters are for {mixture.n_features}-D data but the data open is "
                f"{self.n_features}-D"
            )

    def planned(self, mixture: Mixture | None, info: StartInfo, description: str) -> PlannedEdit:
        """The plan of making ``mixture`` the start: its start state computed (pure).

        Raises
        ------
        ValueError
            If ``mixture`` is for data of another dimension.
        """
        self._check_mixture(mixture)
        start = self._steps.start_snapshot(mixture)
        return PlannedEdit(self._history.start, start, info, description)

    def planned_settings(self, settings: ModelSettings, description: str) -> PlannedEdit:
        """The plan of fitting with ``settings`` from the start, made of their covariance
        type (pure)."""
        steps = self._steps.with_settings(**settings.stepper_options())
        mixture = self.start
        if mixture is not None and mixture.covariance_type != settings.covariance_type:
            mixture = mixture.as_type(settings.covariance_type)
        start = steps.start_snapshot(mixture)
        return PlannedEdit(self._history.start, start, self._info, description, steps)

    def plan(self, edit: Edit) -> PlannedEdit:
        """Compute an edit of the start without making it (pure; a worker thread may call it).

        Parameters
        ----------
        edit : SetStart, NewStart, AddComponent, RemoveComponent, EditComponent or SetTableValue
            See :mod:`gmm_gui.controller.edits`.

        Returns
        -------
        PlannedEdit
            To hand to :meth:`apply` on the thread that owns the stepper.

        Raises
        ------
        ValueError
            If the edit is not possible; the message says why.
        """
        if not isinstance(edit, _EDITS):
            raise ValueError(f"unknown edit {edit!r}")
        base = self._history.start
        planned = edit.plan(self)
        if planned.base is not base:
            raise ValueError("the start changed while the edit was being computed")
        return planned

    def apply(self, planned: PlannedEdit) -> Snapshot:
        """Make an edit computed by :meth:`plan`: the start it was computed from must still be
        the start (else ``ValueError``). Cheap: nothing is computed. Undoable."""
        if planned.base is not self._history.start:
            raise ValueError("the start changed while the edit was being computed")
        self._edits.push(self._record(planned.description))
        self._info = planned.info
        if planned.steps is not None:
            self._steps = planned.steps
        self._history.restart(planned.start)
        return self.snapshot

    def edit(self, edit: Edit) -> Snapshot:
        """Plan and apply ``edit`` at once; undoable."""
        return self.apply(self.plan(edit))

    def draw_start(self, n_components: int, method: str, seed: int | None) -> Mixture:
        """A start drawn by the engine's initialiser (``"random"``, ``"kmeans++"``,
        ``"random_from_data"``, ``"kmeans"``), made :meth:`visible` (pure)."""
        return self._steps.draw_start(n_components, method, seed)

    def visible(self, mixture: Mixture) -> Mixture:
        """``mixture`` with every Gaussian that sits on a single point (the engine's k-means++
        and from-data starts) given the spread of :meth:`default_covariance`."""
        return self._steps.visible(mixture)

    def default_covariance(self, fraction: float = DEFAULT_SPREAD_FRACTION) -> np.ndarray:
        """Covariance of a newly placed Gaussian: ``fraction`` of the data's spread per axis,
        shape (n_features, n_features)."""
        return self._steps.default_covariance(fraction)
