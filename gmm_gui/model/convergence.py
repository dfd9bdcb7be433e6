"""EM's stopping rule, written once for the fit, the window's stepper and the batched maps.

The rule is scikit-learn's. Write ``L_j`` for the mean log-likelihood per point after ``j``
iterations (``L_0``: the start). Iteration ``t`` is the last one when

    ``|L_{t-1} - L_{t-2}| < tol``, with ``L_{-1} = -inf``,

a test known before iteration ``t``'s M-step (it looks one iteration behind the newest
likelihood, which is scikit-learn's rule and kept for agreement). A change that is not finite
(the first iteration, or a likelihood that is NaN) never counts as converged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["RUN_MAX_ITER", "RUN_TOL", "has_converged", "is_last_iteration"]

#: The tolerance (change of the mean log-likelihood, or log-posterior, per point) of the runs
#: whose ends are compared as local maxima: restarts, the basin maps and Choose K. Far tighter
#: than a single fit's ``1e-3`` (the animation's): a run stopped at ``1e-3`` on a flat ridge
#: may still be far from its maximum, and two such runs look like two maxima. At ``1e-8`` a run
#: has stopped climbing: re-running EM from its end moves the mean log-likelihood by less than
#: 1e-6 and the means by less than 1e-4 data standard deviations (a test on every sample).
RUN_TOL = 1e-10
#: The most iterations of those runs; one stopped here has ``converged=False`` and is never
#: grouped with runs that converged (see :func:`gmm_gui.model.restarts.group_maxima`).
RUN_MAX_ITER = 1000


def has_converged(latest: ArrayLike, previous: ArrayLike, tol: float) -> np.ndarray | bool:
    """Did the mean log-likelihood change by less than ``tol`` from ``previous`` to ``latest``?

    Vectorised: the batched EM calls it with one value per start.

    Parameters
    ----------
    latest : float or array of shape (n_starts,)
        ``L_{t-1}``, the newer mean log-likelihood per point.
    previous : float or array of shape (n_starts,)
        ``L_{t-2}``, the one before (``-inf`` before the first iteration).
    tol : float
        Non-negative threshold.

    Returns
    -------
    bool, or bool array of shape (n_starts,)
        True where ``|latest - previous| < tol``; False where the change is not finite.
    """
    with np.errstate(invalid="ignore"):
        change = np.abs(np.subtract(latest, previous))
        result = np.isfinite(change) & (change < tol)
    return bool(result) if result.ndim == 0 else result


def is_last_iteration(lls: Sequence[float], tol: float) -> bool:
    """Is the coming iteration the last one, given the likelihoods so far?

    Parameters
    ----------
    lls : sequence of float
        ``(L_0, ..., L_{t-1})``: the mean log-likelihood per point of the start and after every
        iteration made so far (NaN where one is not known).
    tol : float

    Returns
    -------
    bool
        True when iteration ``t = len(lls)`` ends the fit: ``|L_{t-1} - L_{t-2}| < tol``.
        False for the first iteration (``L_{-1} = -inf``) or an empty ``lls``.
    """
    if len(lls) < 2:
        return False
    return bool(has_converged(lls[-1], lls[-2], tol))
