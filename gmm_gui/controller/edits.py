"""Edits of the start as small frozen dataclasses (no Qt).

Each edit knows how to plan itself against an :class:`EditTarget` (a
:class:`~gmm_gui.controller.stepper.Stepper`): :meth:`plan` is pure (a worker thread may call it;
it draws a new start or computes the new start's log-likelihood) and returns a
:class:`PlannedEdit` that the stepper's ``apply`` makes cheaply on the UI thread. An edit's
``description`` is the text of Edit > Undo ("move Gaussian 2").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from gmm_gui.controller.settings import ModelSettings
from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.model import Mixture

__all__ = [
    "AddComponent",
    "Edit",
    "EditComponent",
    "EditRecord",
    "EditTarget",
    "NewStart",
    "PlannedEdit",
    "RemoveComponent",
    "SetStart",
    "SetSettings",
    "SetTableValue",
    "StartInfo",
    "TABLE_FIELDS",
    "UndoStack",
]

#: Fields of the component table that :class:`SetTableValue` accepts.
TABLE_FIELDS: tuple[str, ...] = ("weight", "mean0", "mean1", "sd0", "sd1", "corr")

#: Table values beyond this magnitude are refused (see :class:`SetTableValue`).
_LARGEST_ENTRY = 1e150


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
    """One undoable change of the start: the start before it and a description.

    ``steps`` is what computed the half-steps then (the stepper's ``HalfSteps``, with its model
    settings), so that undoing a change of the settings restores them too. ``states`` is the
    run that start had (its history), so that neither Undo nor Redo throws a run away."""

    mixture: Mixture | None
    info: StartInfo
    description: str
    snapshot: Snapshot | None = None  # the start state of ``mixture``, so undo recomputes nothing
    steps: Any = None
    #: The run from that start (``History.kept()``; empty: none), brought back with it.
    states: tuple[Snapshot, ...] = ()
    #: The state of ``states`` that was shown.
    index: int = 0
    #: The state of ``states`` a Redo of "back to the start" returns to (``None``: none).
    run_index: int | None = None

    @property
    def run_iterations(self) -> int:
        """Iterations of the run kept with the start (0: none)."""
        return self.states[-1].iteration if len(self.states) > 1 else 0


@dataclass(frozen=True)
class PlannedEdit:
    """An edit of the start computed by :meth:`Edit.plan`, waiting for the stepper's ``apply``.

    Attributes
    ----------
    base : Snapshot
        The start it was computed from; ``apply`` refuses it if the start changed.
    start : Snapshot
        The new start state (its log-likelihood computed).
    info : StartInfo
    description : str
        What undo would undo ("move Gaussian 2").
    steps : HalfSteps or None
        New model settings' half-step computer (:class:`SetSettings`); ``None``: unchanged.
    """

    base: Snapshot
    start: Snapshot
    info: StartInfo
    description: str
    steps: Any = None


class UndoStack:
    """The edits that Undo and Redo would reverse, as :class:`EditRecord` (newest last)."""

    def __init__(self) -> None:
        self._undo: list[EditRecord] = []
        self._redo: list[EditRecord] = []

    @property
    def can_undo(self) -> bool:
        """True when an edit can be undone."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """True when an undone edit can be redone."""
        return bool(self._redo)

    @property
    def undo_text(self) -> str:
        """Description of the edit Undo would undo ("" if none)."""
        return self._undo[-1].description if self._undo else ""

    @property
    def redo_text(self) -> str:
        """Description of the edit Redo would redo ("" if none)."""
        return self._redo[-1].description if self._redo else ""

    @property
    def next_undo(self) -> EditRecord | None:
        """The record Undo would go back to (``None`` if none)."""
        return self._undo[-1] if self._undo else None

    @property
    def next_redo(self) -> EditRecord | None:
        """The record Redo would go forward to (``None`` if none)."""
        return self._redo[-1] if self._redo else None

    def push(self, record: EditRecord) -> None:
        """A new edit was made: ``record`` is the start before it; nothing is left to redo."""
        self._undo.append(record)
        self._redo.clear()

    def clear(self) -> None:
        """Forget every edit."""
        self._undo.clear()
        self._redo.clear()

    def undo(self, current: Callable[[str], EditRecord]) -> EditRecord | None:
        """Take the record to go back to; ``current(description)`` records the start now, for
        Redo. ``None`` if there is nothing to undo."""
        if not self._undo:
            return None
        record = self._undo.pop()
        self._redo.append(current(record.description))
        return record

    def redo(self, current: Callable[[str], EditRecord]) -> EditRecord | None:
        """Take the record to go forward to (see :meth:`undo`)."""
        if not self._redo:
            return None
        record = self._redo.pop()
        self._undo.append(current(record.description))
        return record


class EditTarget(Protocol):
    """What an edit reads of the stepper it is planned against (all of it pure)."""

    @property
    def n_features(self) -> int:
        """Dimension of the data."""
        ...

    @property
    def start(self) -> Mixture | None:
        """The starting mixture."""
        ...

    @property
    def start_info(self) -> StartInfo:
        """Where the current start came from."""
        ...

    @property
    def covariance_type(self) -> str:
        """The covariance type of new Gaussians."""
        ...

    def draw_start(self, n_components: int, method: str, seed: int | None) -> Mixture:
        """A start drawn by the engine's initialiser, made visible."""
        ...

    def default_covariance(self) -> np.ndarray:
        """Covariance of a newly placed Gaussian, shape (n_features, n_features)."""
        ...

    def planned(self, mixture: Mixture | None, info: StartInfo, description: str) -> PlannedEdit:
        """The plan of making ``mixture`` the start (its start state computed)."""
        ...

    def planned_settings(self, settings: ModelSettings, description: str) -> PlannedEdit:
        """The plan of fitting with ``settings`` from the start (of their covariance type)."""
        ...


def _edited_info(target: EditTarget, n_components: int) -> StartInfo:
    method = "placed" if target.start_info.method == "placed" else "edited"
    return StartInfo(method, n_components, None)


def _require_start(target: EditTarget) -> Mixture:
    if target.start is None:
        raise ValueError("there are no Gaussians yet: click on the plot to place one")
    return target.start


def check_index(mixture: Mixture, k: int) -> None:
    """Refuse a Gaussian ``k`` (0-based) that ``mixture`` does not have."""
    if not 0 <= k < mixture.n_components:
        raise ValueError(f"there is no Gaussian {k + 1}")


def _check_squarable(value: float) -> None:
    """Refuse a mean or standard deviation whose square (a distance, a variance) overflows,
    as the engine refuses such data."""
    if abs(value) > _LARGEST_ENTRY:
        raise ValueError(
            f"{value:g} is too large to square in double precision; keep means and standard "
            "deviations within ±1e150"
        )


#: The start methods as the toolbar names them (Undo's text).
_METHOD_WORDS = {
    "random": "random",
    "kmeans++": "k-means++",
    "random_from_data": "from-data",
    "kmeans": "k-means",
}

_AXES = ("x", "y")


def describe_value(k: int, field: str, value: float) -> str:
    """Undo's text for a value typed in the component table, in plain words.

    ``describe_value(1, "sd0", 2.0)`` is ``"change the spread of Gaussian 2 along x"``;
    ``field`` is one of :data:`TABLE_FIELDS` (the axes are the plot's: feature 0 along x,
    feature 1 along y).
    """
    name = f"Gaussian {k + 1}"
    if field == "weight":
        return f"change the weight of {name} to {value:.3g}"
    if field == "corr":
        return f"change the tilt (correlation) of {name} to {value:.3g}"
    axis = _AXES[int(field[-1])] if field[-1] in "01" else field
    if field.startswith("mean"):
        return f"move the centre of {name} along {axis}"
    return f"change the spread of {name} along {axis}"


@dataclass(frozen=True, eq=False)
class SetStart:
    """Replace the start (an imported parameter file, a start chosen in a dock)."""

    mixture: Mixture | None
    info: StartInfo | None = None
    description: str = "new start"

    name: ClassVar[str] = "set_start"

    def plan(self, target: EditTarget) -> PlannedEdit:
        """The plan (pure); ``ValueError`` if the mixture does not fit the data."""
        info = self.info
        if info is None:
            info = StartInfo("imported", 0 if self.mixture is None else self.mixture.n_components)
        return target.planned(self.mixture, info, self.description)


@dataclass(frozen=True)
class NewStart:
    """A start drawn by the engine's initialiser (``"random"``, ``"kmeans++"``,
    ``"random_from_data"`` or ``"kmeans"``), made visible."""

    n_components: int
    method: str = "kmeans++"
    seed: int | None = 0

    name: ClassVar[str] = "new_start"

    @property
    def description(self) -> str:
        """Text of Undo, in the toolbar's words: ``"new k-means++ start with 3 Gaussians"``."""
        n = int(self.n_components)
        method = _METHOD_WORDS.get(self.method, self.method)
        return f"new {method} start with {n} Gaussian{'s' if n != 1 else ''}"

    def plan(self, target: EditTarget) -> PlannedEdit:
        """The plan (pure: draws the start and computes its log-likelihood)."""
        n = int(self.n_components)
        mixture = target.draw_start(n, self.method, self.seed)
        return target.planned(mixture, StartInfo(self.method, n, self.seed), self.description)


@dataclass(frozen=True, eq=False)
class AddComponent:
    """Place a Gaussian at ``mean`` (shape (n_features,)); its covariance defaults to the
    target's ``default_covariance()``. Its weight is ``1 / (K + 1)``; the others shrink in
    proportion."""

    mean: np.ndarray
    covariance: np.ndarray | None = None

    name: ClassVar[str] = "add_component"

    def plan(self, target: EditTarget) -> PlannedEdit:
        """The plan (pure)."""
        d = target.n_features
        mean = np.asarray(self.mean, dtype=float).reshape(d)
        cov = (
            target.default_covariance()
            if self.covariance is None
            else np.asarray(self.covariance, float)
        )
        cov = cov.reshape(d, d)
        old = target.start
        if old is None:
            mixture = Mixture(np.ones(1), mean[None, :], cov[None, :, :], target.covariance_type)
        else:
            mixture = old.with_added(mean, cov)
        n = mixture.n_components
        return target.planned(mixture, _edited_info(target, n), f"add Gaussian {n}")


@dataclass(frozen=True)
class RemoveComponent:
    """Remove Gaussian ``k`` (0-based); the others' weights are rescaled."""

    k: int

    name: ClassVar[str] = "remove_component"

    def plan(self, target: EditTarget) -> PlannedEdit:
        """The plan (pure)."""
        old = _require_start(target)
        check_index(old, self.k)
        mixture = None if old.n_components == 1 else old.without_component(self.k)
        n = 0 if mixture is None else mixture.n_components
        return target.planned(mixture, _edited_info(target, n), f"remove Gaussian {self.k + 1}")


def moved(old: Mixture, k: int, mean: np.ndarray | None, covariance: np.ndarray | None) -> Mixture:
    """``old`` with Gaussian ``k`` moved to ``mean`` and/or reshaped to ``covariance``."""
    check_index(old, k)
    return old.with_component(k, mean=mean, cov=covariance)


@dataclass(frozen=True, eq=False)
class EditComponent:
    """Move and/or reshape Gaussian ``k`` (a finished drag); one undo step."""

    k: int
    mean: np.ndarray | None = None
    covariance: np.ndarray | None = None
    description: str | None = None

    name: ClassVar[str] = "edit_component"

    def plan(self, target: EditTarget) -> PlannedEdit:
        """The plan (pure); without a description, says what changed ("move Gaussian 2")."""
        old = _require_start(target)
        k = self.k
        mixture = moved(old, k, self.mean, self.covariance)
        description = self.description
        if description is None:
            was_moved = not np.array_equal(mixture.means[k], old.means[k])
            reshaped = not np.array_equal(mixture.covariances[k], old.covariances[k])
            verb = "reshape" if reshaped and not was_moved else "move"
            if was_moved and reshaped:
                verb = "move and reshape"
            description = f"{verb} Gaussian {k + 1}"
        return target.planned(mixture, _edited_info(target, mixture.n_components), description)


@dataclass(frozen=True)
class SetTableValue:
    """Set one value of the component table for Gaussian ``k`` (0-based).

    ``field`` is one of :data:`TABLE_FIELDS`: ``weight`` (the other weights are rescaled so all
    sum to one), ``meanJ`` (coordinate ``J`` of the mean), ``sdJ`` (standard deviation along
    feature ``J``, the correlation kept) or ``corr`` (2-D, strictly between -1 and 1).
    """

    k: int
    field: str
    value: float

    name: ClassVar[str] = "set_table_value"

    def plan(self, target: EditTarget) -> PlannedEdit:
        """The plan (pure); ``ValueError`` with a sentence for a value out of range."""
        old = _require_start(target)
        k, field = self.k, self.field
        if field not in TABLE_FIELDS:
            raise ValueError(f"unknown table field {field!r}")
        check_index(old, k)
        value = float(self.value)
        if not np.isfinite(value):
            raise ValueError("the value must be a finite number")
        d = target.n_features
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
            mixture = old.with_component(k, cov=self._covariance(old, k, field, value, d))
        return target.planned(
            mixture, _edited_info(target, mixture.n_components), describe_value(k, field, value)
        )

    @staticmethod
    def _covariance(old: Mixture, k: int, field: str, value: float, d: int) -> np.ndarray:
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
        return new_cov


#: Any edit of the start.
Edit = SetStart | NewStart | AddComponent | RemoveComponent | EditComponent | SetTableValue


@dataclass(frozen=True)
class SetSettings:
    """Fit with other model settings, from the start: the start is made of their covariance
    type (:meth:`~gmm_gui.model.Mixture.as_type`) and the run so far is let go; undo restores
    the settings and the start before."""

    settings: ModelSettings
    name: ClassVar[str] = "set_settings"

    @property
    def description(self) -> str:
        """Text of Undo: ``"model settings (diag, reg_covar 1e-06, tol 0.001, max_iter 100)"``."""
        s = self.settings
        return (
            f"model settings ({s.covariance_type}, reg_covar {s.reg_covar:g}, "
            f"tol {s.tol:g}, max_iter {s.max_iter})"
        )

    def plan(self, target: EditTarget) -> PlannedEdit:
        """The plan (pure: the start's log-likelihood under the new settings)."""
        return target.planned_settings(self.settings, self.description)
