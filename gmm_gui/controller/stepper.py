"""The EM half-step state machine, its history, and the editing of the start (no Qt).

A :class:`Stepper` holds the data, the starting mixture and the list of every state reached so far
(``start -> E -> M -> E -> M ...``), each an immutable
:class:`~gmm_gui.controller.snapshot.Snapshot`.
Going back and forth through the history never recomputes a half-step. Before a run the start can
be edited (add, remove, move, reshape a Gaussian, set a value in the table, pick a new random start,
import one); every finished edit can be undone and redone.

Memory stays bounded however long the history: every state keeps its mixture (a few hundred bytes),
but the responsibilities (``n_samples * n_components`` floats, 4 MB at 100,000 points and K = 5)
are kept only for the states seen most recently, within ``resp_cache_bytes`` (256 MB by default,
least recently shown first out; the state shown and the newest state always keep theirs). A state
whose responsibilities were let go shows them again by one E-step of its stored mixture: the same
function on the same numbers, so the identical array, in milliseconds.

The computing parts (:meth:`Stepper.compute_next`, :meth:`Stepper.compute_preview`,
:meth:`Stepper.compute_run`) read only immutable state and return new snapshots without changing
the stepper, so a worker thread may run them while the UI thread keeps drawing; the UI thread then
hands the result back with :meth:`Stepper.push` or :meth:`Stepper.push_many`. Edits of the start
split the same way: :meth:`Stepper.plan` (pure: draws a new start, computes the new start's
log-likelihood) and :meth:`Stepper.apply` (cheap, on the UI thread).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.io.mixture_file import FitInfo
from gmm_gui.model import (
    DegenerateMixtureError,
    Mixture,
    aic,
    bic,
    diagnose,
    e_step,
    init_mixture,
    is_last_iteration,
    m_step,
    prepare_data,
)

__all__ = [
    "DEFAULT_RESP_CACHE_BYTES",
    "START_METHODS",
    "EditRecord",
    "PlannedEdit",
    "StartInfo",
    "Stepper",
    "TABLE_FIELDS",
]

#: Table values beyond this magnitude are refused (see _plan_set_table_value).
_LARGEST_ENTRY = 1e150


def _check_squarable(value: float) -> None:
    """Refuse a mean or standard deviation whose square (a distance, a variance) overflows,
    as the engine refuses such data."""
    if abs(value) > _LARGEST_ENTRY:
        raise ValueError(
            f"{value:g} is too large to square in double precision; keep means and standard "
            "deviations within ±1e150"
        )

#: Start methods offered to the user, as (engine name, label shown in the window).
START_METHODS: tuple[tuple[str, str], ...] = (
    ("random", "Random"),
    ("kmeans++", "k-means++"),
    ("random_from_data", "From data"),
)

#: Fields of the component table that :meth:`Stepper.set_table_value` accepts.
TABLE_FIELDS: tuple[str, ...] = ("weight", "mean0", "mean1", "sd0", "sd1", "corr")

#: A new Gaussian placed by a click starts with this fraction of the data's standard deviation.
DEFAULT_SPREAD_FRACTION = 0.25

#: Responsibilities of past states are kept within this many bytes (least recently shown out).
DEFAULT_RESP_CACHE_BYTES = 256 * 2**20

_EDITS = (
    "set_start",
    "new_start",
    "add_component",
    "remove_component",
    "edit_component",
    "set_table_value",
)

ProgressCallback = Callable[[int, Snapshot], None]
CancelCallback = Callable[[], bool]


@dataclass(frozen=True)
class StartInfo:
    """Where the current start came from (shown in the window, written with exported parameters).

    Attributes
    ----------
    method : str
        ``"random"``, ``"kmeans++"``, ``"random_from_data"``, ``"placed"`` (by hand),
        ``"imported"`` or ``"edited"``.
    n_components : int
    seed : int or None
        Seed of a random start, ``None`` otherwise.
    """

    method: str
    n_components: int
    seed: int | None = None


@dataclass(frozen=True)
class EditRecord:
    """One undoable change of the start: the start before it and a description."""

    mixture: Mixture | None
    info: StartInfo
    description: str
    snapshot: Snapshot | None = None  # the start state of ``mixture``, so undo recomputes nothing


@dataclass(frozen=True)
class PlannedEdit:
    """An edit of the start computed by :meth:`Stepper.plan`, waiting for :meth:`Stepper.apply`.

    Attributes
    ----------
    base : Snapshot
        The start it was computed from; :meth:`Stepper.apply` refuses it if the start changed.
    start : Snapshot
        The new start state (its log-likelihood computed).
    info : StartInfo
    description : str
        What :meth:`Stepper.undo` would undo ("move Gaussian 2").
    """

    base: Snapshot
    start: Snapshot
    info: StartInfo
    description: str


class Stepper:
    """Half-steps of EM on one data set, with the full history and an editable start.

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
        start_info: StartInfo | None = None,
        resp_cache_bytes: int = DEFAULT_RESP_CACHE_BYTES,
    ) -> None:
        X = np.array(X, dtype=float, copy=True)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[0] == 0:
            raise ValueError(f"X must have shape (n_samples, n_features), got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X holds missing or infinite values")
        X.setflags(write=False)
        self._X = X
        # Centred, transposed and with its monomials once, so that no step re-checks or
        # re-arranges the data (a fifth of a half-step's time at a million points).
        self._data = prepare_data(X)
        self._cache: tuple[Mixture, np.ndarray, float] | None = None
        self.covariance_type = covariance_type
        self.reg_covar = float(reg_covar)
        self.tol = float(tol)
        self.max_iter = int(max_iter)
        scale = np.std(X, axis=0)
        self._scale = np.where(scale > 0, scale, 1.0)
        self._undo: list[EditRecord] = []
        self._redo: list[EditRecord] = []
        self._info = start_info or StartInfo(
            "placed" if start is None else "imported",
            0 if start is None else start.n_components,
        )
        self._check_mixture(start)
        self._history: list[Snapshot] = [self._start_snapshot(start)]
        self._index = 0
        self.resp_cache_bytes = int(resp_cache_bytes)
        # History index of each E-step whose responsibilities are held -> their bytes, least
        # recently shown first. The M-step after an E-step shares its array.
        self._resp_held: OrderedDict[int, int] = OrderedDict()
        self._resp_bytes = 0

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
            ``covariance_type``, ``reg_covar``, ``tol``, ``max_iter``, ``resp_cache_bytes``.
        """
        stepper = cls(X, None, **options)  # type: ignore[arg-type]
        stepper.new_start(n_components, method, seed)
        stepper._undo.clear()
        return stepper

    # ------------------------------------------------------------------ state
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
        return self._history[0].mixture

    @property
    def start_info(self) -> StartInfo:
        """Where the current start came from."""
        return self._info

    @property
    def snapshot(self) -> Snapshot:
        """The state shown now (its responsibilities brought back if they were let go)."""
        return self._materialised(self._index)

    @property
    def index(self) -> int:
        """Position of :attr:`snapshot` in :attr:`history`."""
        return self._index

    @property
    def history(self) -> tuple[Snapshot, ...]:
        """Every state computed so far, the start first.

        Past states whose responsibilities were let go (see the module's notes) have
        ``resp=None`` here; :meth:`go_to` brings them back.
        """
        return tuple(self._history)

    @property
    def resp_bytes(self) -> int:
        """Bytes of responsibilities held by the history."""
        return self._resp_bytes

    @property
    def last(self) -> Snapshot:
        """The newest state computed."""
        return self._materialised(len(self._history) - 1)

    @property
    def editable(self) -> bool:
        """True when the start is shown and may be edited."""
        return self._index == 0

    @property
    def next_phase(self) -> str | None:
        """``"E"`` or ``"M"``: the half-step :meth:`step` does next; ``None`` if nothing to do."""
        snap = self.snapshot
        if snap.mixture is None:
            return None
        if self._index < len(self._history) - 1:
            return self._history[self._index + 1].phase
        if snap.converged and snap.phase == "M":
            return None
        return "M" if snap.phase == "E" else "E"

    @property
    def at_end(self) -> bool:
        """True when the newest state is shown and EM has converged (or cannot go on)."""
        return self._index == len(self._history) - 1 and self.next_phase is None

    def log_likelihoods(self) -> np.ndarray:
        """Mean log-likelihood per point of the start and after each iteration computed so far.

        Returns
        -------
        ll : array of shape (n_iterations + 1,)
            ``ll[0]`` is the start's, ``ll[t]`` the mixture's after iteration ``t``; NaN where
            unknown (no start).
        """
        start_ll = self._history[0].mean_log_likelihood
        values = [np.nan if start_ll is None else start_ll]
        values.extend(self.last.history)
        return np.asarray(values, dtype=float)

    def converged_at(self) -> int | None:
        """The iteration at which EM converged, if it has."""
        # Nothing is computed after a converged M-step, so only the newest state can be it.
        last = self._history[-1]
        return last.iteration if last.converged and last.phase == "M" else None

    def index_of_iteration(self, iteration: int) -> int:
        """History index of the state at the end of ``iteration`` (0: the start).

        An iteration not computed yet gives the newest state.
        """
        if iteration <= 0:
            return 0
        for i, snap in enumerate(self._history):
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
        return self._mean_e_step(snap.mixture)[0]

    def fit_info(self, snap: Snapshot | None = None) -> FitInfo:
        """What to write in a parameter file's ``"fit"`` block for ``snap`` (default: shown)."""
        snap = self.snapshot if snap is None else snap
        if snap.mixture is None:
            raise ValueError("there are no Gaussians yet")
        _, mean_ll = self._mean_e_step(snap.mixture)
        return FitInfo(
            n_points=self.n_samples,
            n_iter=snap.iteration,
            converged=snap.converged,
            log_likelihood=mean_ll * self.n_samples,
            mean_log_likelihood=mean_ll,
            bic=float(bic(self._X, snap.mixture)),
            aic=float(aic(self._X, snap.mixture)),
            reg_covar=self.reg_covar,
            tol=self.tol,
            seed=self._info.seed,
            mean_log_likelihood_history=tuple(snap.history),
        )

    # -------------------------------------------------------------- computing
    def _mean_e_step(self, mixture: Mixture) -> tuple[np.ndarray, float]:
        cached = self._cache
        if cached is not None and cached[0] is mixture:
            return cached[1], cached[2]
        resp, log_likelihood = e_step(self._data, mixture)
        mean_ll = float(log_likelihood) / self.n_samples
        resp.setflags(write=False)
        # One slot: the E-step of the newest mixture, computed with its log-likelihood after an
        # M-step, is reused by the next E-step instead of being computed twice.
        self._cache = (mixture, resp, mean_ll)
        return resp, mean_ll

    def _warnings(self, resp: np.ndarray, mixture: Mixture, iteration: int) -> tuple[str, ...]:
        issues = diagnose(self._data, resp, mixture, self.reg_covar, iteration)
        return tuple(str(issue.message) for issue in issues)

    def _start_snapshot(self, mixture: Mixture | None) -> Snapshot:
        mean_ll = None
        if mixture is not None:
            _, mean_ll = self._mean_e_step(mixture)
        return Snapshot(
            X=self._X,
            mixture=mixture,
            resp=None,
            phase="start",
            iteration=0,
            mean_log_likelihood=mean_ll,
            history=(),
            converged=False,
            warnings=(),
            editable=True,
        )

    def compute_next(self, snap: Snapshot) -> Snapshot:
        """The state one half-step after ``snap`` (pure: the stepper is not changed).

        After the start or an M-step comes an E-step (new responsibilities, same Gaussians);
        after an E-step an M-step (new Gaussians, points still coloured by the responsibilities
        that produced them).
        """
        if snap.mixture is None:
            raise ValueError("place at least one Gaussian before running EM")
        if snap.phase in ("start", "M"):
            resp, mean_ll = self._mean_e_step(snap.mixture)
            return replace(
                snap,
                resp=resp,
                phase="E",
                mean_log_likelihood=mean_ll,
                editable=False,
            )
        resp = snap.resp
        if resp is None:  # a past state whose responsibilities were let go
            resp = self._mean_e_step(snap.mixture)[0]
        try:
            mixture = m_step(self._data, resp, self.covariance_type, self.reg_covar)
        except (DegenerateMixtureError, ValueError, np.linalg.LinAlgError) as exc:
            # Only possible with reg_covar = 0 (or data so large that it is lost in round-off).
            detail = str(exc).strip() or "a covariance is no longer positive definite"
            raise ValueError(
                f"The M-step of iteration {snap.iteration + 1} cannot go on: {detail}"
            ) from exc
        _, mean_ll = self._mean_e_step(mixture)
        iteration = snap.iteration + 1
        # The engine's (scikit-learn's) test: iteration t is the last one when
        # |L_{t-1} - L_{t-2}| < tol, with L_0 the start's log-likelihood and L_{-1} = -inf.
        start_ll = self._history[0].mean_log_likelihood
        lls = [np.nan if start_ll is None else start_ll, *snap.history]
        converged = is_last_iteration(lls[:iteration], self.tol)
        return replace(
            snap,
            mixture=mixture,
            phase="M",
            iteration=iteration,
            mean_log_likelihood=mean_ll,
            history=(*snap.history, mean_ll),
            converged=converged,
            warnings=self._warnings(resp, mixture, iteration),
            editable=False,
        )

    def compute_run(
        self,
        snap: Snapshot,
        max_half_steps: int | None = None,
        *,
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
        progress : callable(iteration, snapshot), optional
            Called after every M-step.
        should_cancel : callable() -> bool, optional
            Polled before every half-step; the states computed so far are returned.

        Returns
        -------
        list of Snapshot
            The new states, oldest first (empty if nothing was left to do).
        """
        out: list[Snapshot] = []
        limit = 2 * self.max_iter if max_half_steps is None else int(max_half_steps)
        current = snap
        while len(out) < limit:
            if current.mixture is None or (current.converged and current.phase == "M"):
                break
            if current.phase == "M" and current.iteration >= self.max_iter:
                break
            if should_cancel is not None and should_cancel():
                break
            try:
                current = self.compute_next(current)
            except ValueError as exc:
                if not out:
                    raise
                # The engine could not go on (a degenerate covariance): stop, and say why.
                out[-1] = replace(out[-1], warnings=(*out[-1].warnings, str(exc)))
                break
            out.append(current)
            if progress is not None and current.phase == "M":
                progress(current.iteration, current)
        return out

    def compute_preview(self, k: int, mean: np.ndarray, covariance: np.ndarray) -> Snapshot:
        """The start with component ``k`` moved/reshaped, points coloured by its E-step (pure).

        Used while the user drags: nothing is recorded.
        """
        mixture = self._edited(self._require_start(), k, mean, covariance)
        return self.preview_of(mixture)

    def preview_of(self, mixture: Mixture) -> Snapshot:
        """A start-state snapshot of ``mixture`` with its responsibilities shown (pure)."""
        resp, mean_ll = self._mean_e_step(mixture)
        return replace(
            self._history[0], mixture=mixture, resp=resp, mean_log_likelihood=mean_ll
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
        if snaps:
            first = len(self._history)
            self._history.extend(snaps)
            self._index = len(self._history) - 1
            for i in range(first, len(self._history)):
                if self._history[i].phase == "E" and self._history[i].resp is not None:
                    self._hold(i)
            self._evict()
        return self.snapshot

    # ------------------------------------------------- responsibilities' budget
    def _e_index(self, index: int) -> int | None:
        """History index of the E-step whose responsibilities state ``index`` shows."""
        phase = self._history[index].phase
        if phase == "E":
            return index
        if phase == "M" and index >= 1 and self._history[index - 1].phase == "E":
            return index - 1
        return None

    def _hold(self, e_index: int) -> None:
        resp = self._history[e_index].resp
        if e_index in self._resp_held:
            self._resp_held.move_to_end(e_index)
        elif resp is not None:
            self._resp_held[e_index] = int(resp.nbytes)
            self._resp_bytes += int(resp.nbytes)

    def _evict(self) -> None:
        """Let go of the least recently shown responsibilities until within the budget."""
        keep = {self._e_index(self._index), self._e_index(len(self._history) - 1)}
        for e_index in list(self._resp_held):
            if self._resp_bytes <= self.resp_cache_bytes:
                break
            if e_index in keep:
                continue
            self._resp_bytes -= self._resp_held.pop(e_index)
            for i in (e_index, e_index + 1):
                if i < len(self._history) and self._e_index(i) == e_index:
                    self._history[i] = replace(self._history[i], resp=None)

    def _forget_resp(self) -> None:
        self._resp_held.clear()
        self._resp_bytes = 0

    def _materialised(self, index: int) -> Snapshot:
        """State ``index``, its responsibilities recomputed (one E-step) if they were let go."""
        snap = self._history[index]
        e_index = self._e_index(index)
        if e_index is None or snap.mixture is None:
            return snap
        if snap.resp is None:
            e_snap = self._history[e_index]
            resp = e_snap.resp
            if resp is None:
                assert e_snap.mixture is not None
                resp, _ = e_step(self._data, e_snap.mixture)
                resp.setflags(write=False)
            for i in (e_index, e_index + 1):
                if i < len(self._history) and self._e_index(i) == e_index:
                    if self._history[i].resp is None:
                        self._history[i] = replace(self._history[i], resp=resp)
            self._hold(e_index)
            self._evict()
        elif e_index in self._resp_held:
            self._resp_held.move_to_end(e_index)
        return self._history[index]

    def step(self) -> Snapshot | None:
        """Do the next half-step (or move forward in the history if it is already computed).

        Returns the new state, or ``None`` when there is nothing to do (no Gaussians, or EM has
        converged and the newest state is shown).
        """
        if self._index < len(self._history) - 1:
            self._index += 1
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

    def run_to_convergence(self) -> Snapshot:
        """Go on until EM converges (or ``max_iter``); returns the newest state."""
        self._index = len(self._history) - 1
        return self.push_many(self.compute_run(self.snapshot))

    def go_to(self, index: int) -> Snapshot:
        """Show the state at ``index`` of the history (clipped), without recomputing."""
        self._index = int(np.clip(index, 0, len(self._history) - 1))
        return self.snapshot

    def reset(self) -> Snapshot:
        """Back to the start, forgetting the run; the start may be edited again."""
        del self._history[1:]
        self._index = 0
        self._forget_resp()
        return self.snapshot

    # --------------------------------------------------------------- editing
    @property
    def can_undo(self) -> bool:
        """True when an edit of the start can be undone."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """True when an undone edit can be redone."""
        return bool(self._redo)

    @property
    def undo_text(self) -> str:
        """Description of the edit :meth:`undo` would undo ("" if none)."""
        return self._undo[-1].description if self._undo else ""

    @property
    def redo_text(self) -> str:
        """Description of the edit :meth:`redo` would redo ("" if none)."""
        return self._redo[-1].description if self._redo else ""

    def _require_start(self) -> Mixture:
        if self.start is None:
            raise ValueError("there are no Gaussians yet: click on the plot to place one")
        return self.start

    def _check_mixture(self, mixture: Mixture | None) -> None:
        if mixture is not None and mixture.n_features != self.n_features:
            raise ValueError(
                f"the parameters are for {mixture.n_features}-D data but the data open is "
                f"{self.n_features}-D"
            )

    def _planned(self, mixture: Mixture | None, info: StartInfo, description: str) -> PlannedEdit:
        self._check_mixture(mixture)
        return PlannedEdit(self._history[0], self._start_snapshot(mixture), info, description)

    def plan(self, edit: str, *args: Any, **kwargs: Any) -> PlannedEdit:
        """Compute an edit of the start without making it (pure; a worker thread may call it).

        Parameters
        ----------
        edit : {"set_start", "new_start", "add_component", "remove_component", \
"edit_component", "set_table_value"}
            The edit method of the same name; ``args`` and ``kwargs`` are its arguments.

        Returns
        -------
        PlannedEdit
            To hand to :meth:`apply` on the thread that owns the stepper.

        Raises
        ------
        ValueError
            If the edit is not possible; the message says why.
        """
        if edit not in _EDITS:
            raise ValueError(f"unknown edit {edit!r}")
        base = self._history[0]
        planned: PlannedEdit = getattr(self, f"_plan_{edit}")(*args, **kwargs)
        if planned.base is not base:
            raise ValueError("the start changed while the edit was being computed")
        return planned

    def apply(self, planned: PlannedEdit) -> Snapshot:
        """Make an edit computed by :meth:`plan`: the start it was computed from must still be
        the start (else ``ValueError``). Cheap: nothing is computed. Undoable."""
        if planned.base is not self._history[0]:
            raise ValueError("the start changed while the edit was being computed")
        old = self._history[0]
        self._undo.append(EditRecord(old.mixture, self._info, planned.description, old))
        self._redo.clear()
        self._info = planned.info
        self._history = [planned.start]
        self._index = 0
        self._forget_resp()
        return self.snapshot

    def set_start(
        self, mixture: Mixture | None, info: StartInfo | None = None, description: str = "new start"
    ) -> Snapshot:
        """Replace the start (a random start, an imported file); undoable."""
        return self.apply(self._plan_set_start(mixture, info, description))

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
        return self.apply(self._plan_new_start(n_components, method, seed))

    def add_component(self, mean: np.ndarray, covariance: np.ndarray | None = None) -> Snapshot:
        """Place a Gaussian at ``mean`` (array of shape (n_features,)); undoable.

        Its weight is ``1 / (K + 1)``; the others shrink in proportion so the weights still sum
        to one. Its covariance is :meth:`default_covariance` unless given.
        """
        return self.apply(self._plan_add_component(mean, covariance))

    def remove_component(self, k: int) -> Snapshot:
        """Remove Gaussian ``k`` (0-based) from the start; the others' weights are rescaled."""
        return self.apply(self._plan_remove_component(k))

    def edit_component(
        self,
        k: int,
        mean: np.ndarray | None = None,
        covariance: np.ndarray | None = None,
        description: str | None = None,
    ) -> Snapshot:
        """Move and/or reshape Gaussian ``k`` of the start; undoable (one entry per call)."""
        return self.apply(self._plan_edit_component(k, mean, covariance, description))

    def set_table_value(self, k: int, field: str, value: float) -> Snapshot:
        """Set one value of the component table for Gaussian ``k`` (0-based); undoable.

        ``field`` is one of :data:`TABLE_FIELDS`: ``weight`` (the other weights are rescaled so
        all sum to one), ``meanJ`` (coordinate ``J`` of the mean), ``sdJ`` (standard deviation
        along feature ``J``, the correlation kept) or ``corr`` (2-D, strictly between -1 and 1).
        """
        return self.apply(self._plan_set_table_value(k, field, value))

    def _edited_info(self, n_components: int) -> StartInfo:
        method = "placed" if self._info.method == "placed" else "edited"
        return StartInfo(method, n_components, None)

    def _plan_set_start(
        self, mixture: Mixture | None, info: StartInfo | None = None, description: str = "new start"
    ) -> PlannedEdit:
        """Replace the start (a random start, an imported file); undoable."""
        if info is None:
            info = StartInfo("imported", 0 if mixture is None else mixture.n_components)
        return self._planned(mixture, info, description)

    def _plan_new_start(
        self, n_components: int, method: str = "kmeans++", seed: int | None = 0
    ) -> PlannedEdit:
        """A start drawn by the engine's initialiser (made :meth:`visible`); undoable.

        Parameters
        ----------
        n_components : int
        method : {"random", "kmeans++", "random_from_data", "kmeans"}
        seed : int or None
        """
        mixture = self.visible(
            init_mixture(
                self._data,
                int(n_components),
                method,
                seed=seed,
                covariance_type=self.covariance_type,
                reg_covar=self.reg_covar,
            )
        )
        info = StartInfo(method, int(n_components), seed)
        return self._planned(mixture, info, f"{method} start (K={n_components})")

    def visible(self, mixture: Mixture) -> Mixture:
        """``mixture`` with every Gaussian that sits on a single point given a visible spread.

        The engine's k-means++ and from-data starts (as scikit-learn's) put each Gaussian on one
        data point, its covariance at the ``reg_covar`` floor: nothing to see or drag, and a
        start log-likelihood of minus millions. Such a covariance is replaced by
        :meth:`default_covariance`, the spread of a Gaussian placed by a click; means and
        weights are kept.
        """
        floor = 10.0 * self.reg_covar + 1e-12 * float(np.max(self._scale**2))
        variances = np.diagonal(mixture.covariances, axis1=1, axis2=2)
        collapsed = np.all(variances <= floor, axis=1)
        if not collapsed.any() or self.covariance_type != "full":
            return mixture
        covs = np.array(mixture.covariances, dtype=float, copy=True)
        covs[collapsed] = self.default_covariance()
        return Mixture(mixture.weights, mixture.means, covs, self.covariance_type)

    def default_covariance(self, fraction: float = DEFAULT_SPREAD_FRACTION) -> np.ndarray:
        """Covariance of a newly placed Gaussian: ``fraction`` of the data's spread per axis.

        Returns
        -------
        covariance : array of shape (n_features, n_features)
        """
        return np.diag((fraction * self._scale) ** 2)

    def _plan_add_component(
        self, mean: np.ndarray, covariance: np.ndarray | None = None
    ) -> PlannedEdit:
        """Place a Gaussian at ``mean`` (array of shape (n_features,)); undoable.

        Its weight is ``1 / (K + 1)``; the others shrink in proportion so the weights still sum
        to one. Its covariance is :meth:`default_covariance` unless given.
        """
        mean = np.asarray(mean, dtype=float).reshape(self.n_features)
        cov = self.default_covariance() if covariance is None else np.asarray(covariance, float)
        cov = cov.reshape(self.n_features, self.n_features)
        old = self.start
        if old is None:
            mixture = Mixture(np.ones(1), mean[None, :], cov[None, :, :], self.covariance_type)
        else:
            mixture = old.with_added(mean, cov)
        n = mixture.n_components
        return self._planned(mixture, self._edited_info(n), f"add Gaussian {n}")

    def _plan_remove_component(self, k: int) -> PlannedEdit:
        """Remove Gaussian ``k`` (0-based) from the start; the others' weights are rescaled."""
        old = self._require_start()
        self._check_index(old, k)
        mixture = None if old.n_components == 1 else old.without_component(k)
        n = 0 if mixture is None else mixture.n_components
        return self._planned(mixture, self._edited_info(n), f"remove Gaussian {k + 1}")

    @staticmethod
    def _check_index(mixture: Mixture, k: int) -> None:
        if not 0 <= k < mixture.n_components:
            raise ValueError(f"there is no Gaussian {k + 1}")

    def _edited(
        self, old: Mixture, k: int, mean: np.ndarray | None, covariance: np.ndarray | None
    ) -> Mixture:
        self._check_index(old, k)
        return old.with_component(k, mean=mean, cov=covariance)

    def _plan_edit_component(
        self,
        k: int,
        mean: np.ndarray | None = None,
        covariance: np.ndarray | None = None,
        description: str | None = None,
    ) -> PlannedEdit:
        """Move and/or reshape Gaussian ``k`` of the start; undoable (one entry per call)."""
        old = self._require_start()
        mixture = self._edited(old, k, mean, covariance)
        if description is None:
            moved = not np.array_equal(mixture.means[k], old.means[k])
            reshaped = not np.array_equal(mixture.covariances[k], old.covariances[k])
            verb = "reshape" if reshaped and not moved else "move"
            if moved and reshaped:
                verb = "move and reshape"
            description = f"{verb} Gaussian {k + 1}"
        return self._planned(mixture, self._edited_info(mixture.n_components), description)

    def _plan_set_table_value(self, k: int, field: str, value: float) -> PlannedEdit:
        """Set one value of the component table for Gaussian ``k``; undoable.

        Parameters
        ----------
        k : int
            Component, 0-based.
        field : {"weight", "mean0", "mean1", "sd0", "sd1", "corr"}
            ``weight``: the other weights are rescaled so all sum to one. ``meanJ``: coordinate
            ``J`` of the mean. ``sdJ``: standard deviation along feature ``J``, the correlation
            kept. ``corr``: correlation of the two features (2-D), strictly between -1 and 1.
        value : float
        """
        old = self._require_start()
        if field not in TABLE_FIELDS:
            raise ValueError(f"unknown table field {field!r}")
        self._check_index(old, k)
        value = float(value)
        if not np.isfinite(value):
            raise ValueError("the value must be a finite number")
        d = self.n_features
        if field == "weight":
            if not 0.0 < value < 1.0 and not (value == 1.0 and old.n_components == 1):
                raise ValueError("a weight must be between 0 and 1")
            mixture = old.with_component(k, weight=value)
        elif field.startswith("mean"):
            j = int(field[-1])
            if j >= d:
                raise ValueError(f"the data has only {d} feature(s)")
            _check_squarable(value)
            mean = np.array(old.means[k], dtype=float, copy=True)
            mean[j] = value
            mixture = old.with_component(k, mean=mean)
        else:
            cov = np.asarray(old.covariances[k], dtype=float)
            sd = np.sqrt(np.diag(cov))
            corr = cov[0, 1] / (sd[0] * sd[1]) if d == 2 else 0.0
            if field == "corr":
                if d != 2:
                    raise ValueError("a correlation needs two features")
                if not -1.0 < value < 1.0:
                    raise ValueError("a correlation must be strictly between -1 and 1")
                corr = value
            else:
                j = int(field[-1])
                if j >= d:
                    raise ValueError(f"the data has only {d} feature(s)")
                if value <= 0:
                    raise ValueError("a standard deviation must be positive")
                _check_squarable(value)
                sd[j] = value
            new_cov = np.diag(sd**2)
            if d == 2:
                new_cov[0, 1] = new_cov[1, 0] = corr * sd[0] * sd[1]
            mixture = old.with_component(k, cov=new_cov)
        return self._planned(
            mixture, self._edited_info(mixture.n_components), f"set {field} of Gaussian {k + 1}"
        )

    def undo(self) -> Snapshot | None:
        """Undo the last edit of the start (and forget any run from it)."""
        if not self._undo:
            return None
        record = self._undo.pop()
        self._redo.append(EditRecord(self.start, self._info, record.description, self._history[0]))
        self._info = record.info
        self._history = [record.snapshot or self._start_snapshot(record.mixture)]
        self._index = 0
        self._forget_resp()
        return self.snapshot

    def redo(self) -> Snapshot | None:
        """Redo the last undone edit."""
        if not self._redo:
            return None
        record = self._redo.pop()
        self._undo.append(EditRecord(self.start, self._info, record.description, self._history[0]))
        self._info = record.info
        self._history = [record.snapshot or self._start_snapshot(record.mixture)]
        self._index = 0
        self._forget_resp()
        return self.snapshot
