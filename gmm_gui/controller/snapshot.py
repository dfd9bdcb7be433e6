"""The immutable state the views draw from.

The controller hands a new :class:`Snapshot` to every view after each change; views never reach
back into the controller or each other. Arrays in a snapshot are read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from gmm_gui.model import Mixture

Phase = Literal["start", "E", "M"]


@dataclass(frozen=True)
class Snapshot:
    """One state of an EM run, as shown on screen.

    Attributes
    ----------
    X : array of shape (n_samples, n_features)
        The data (1 or 2 features), read-only.
    mixture : Mixture or None
        The Gaussians currently drawn; ``None`` when the user has not placed any yet.
    resp : array of shape (n_samples, n_components) or None
        Responsibilities the points are coloured by; ``None`` draws every point neutral grey.
    phase : "start", "E" or "M"
        ``"start"``: the user's starting Gaussians, still editable. ``"E"``: the responsibilities
        were just recomputed (points recolour). ``"M"``: the Gaussians were just re-estimated.
    iteration : int
        Number of completed EM iterations (an iteration is an E-step followed by an M-step).
    mean_log_likelihood : float or None
        Mean log-likelihood per point of ``X`` under ``mixture`` (the mean log-posterior per
        point when ``log_posterior``).
    history : tuple of float
        The same value after each completed iteration, first to current.
    converged : bool
        The change in mean log-likelihood fell below ``tol``.
    warnings : tuple of str
        Engine warnings for this state, in sentences a student understands.
    editable : bool
        True when the Gaussians may be added, removed, dragged and reshaped (before a run).
    log_posterior : bool
        MAP-EM (the prior on): ``mean_log_likelihood`` and ``history`` are the objective
        ``(log L + log p(theta)) / n``.
    degenerate : tuple of int
        Components (0-based) of ``mixture`` that collapsed (see
        :func:`gmm_gui.model.degenerate_components`, with the soft counts of the
        responsibilities its M-step used): a degenerate solution, not a maximum.
    tol : float or None
        The convergence threshold the run uses (None: not known).
    max_iter : int or None
        The run stops after this many iterations in any case (None: not known).
    """

    X: np.ndarray
    mixture: Mixture | None
    resp: np.ndarray | None = None
    phase: Phase = "start"
    iteration: int = 0
    mean_log_likelihood: float | None = None
    history: tuple[float, ...] = ()
    converged: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)
    editable: bool = True
    log_posterior: bool = False
    degenerate: tuple[int, ...] = ()
    tol: float | None = None
    max_iter: int | None = None

    @property
    def stopped_at_max_iter(self) -> bool:
        """An M-step state that reached ``max_iter`` iterations without converging."""
        return (
            self.phase != "start"
            and not self.converged
            and self.max_iter is not None
            and self.iteration >= self.max_iter
        )

    @property
    def n_features(self) -> int:
        """Dimension of the data (1 or 2 in the window)."""
        return int(self.X.shape[1])
