"""scikit-learn's bare EM iteration, the reference every speed figure is a ratio to.

Our machines differ by 2x in absolute speed from one day to the next, so the benchmarks state
their figures as ratios to this, measured in the same process on the same data from the same
start. scikit-learn is a test dependency only: without it there is no reference (``None``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from gmm_gui.model import Mixture


def sklearn_gaussian_mixture():
    """scikit-learn's GaussianMixture, or None (imported late: it costs ~90 MB of memory)."""
    try:
        from sklearn.mixture import GaussianMixture
    except ImportError:  # pragma: no cover - optional
        return None
    return GaussianMixture


def sklearn_iteration(X: np.ndarray, start: Mixture) -> tuple[Callable[[], None], object] | None:
    """scikit-learn's ``_e_step`` + ``_m_step`` on ``X`` from ``start`` (full covariances).

    Returns
    -------
    (iteration, model) or None
        ``iteration()`` runs one bare EM iteration (no convergence check, no set-up); the
        ``GaussianMixture`` for other calls (its ``_e_step``). ``None`` without scikit-learn.
    """
    GaussianMixture = sklearn_gaussian_mixture()
    if GaussianMixture is None:
        return None
    gm = GaussianMixture(
        start.n_components,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=start.precisions,
        max_iter=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm.fit(X[: max(start.n_components, 50)])  # checks and attributes, on a few rows
    gm._initialize(X, None)

    def iteration() -> None:
        _, log_resp = gm._e_step(X)
        gm._m_step(X, log_resp)

    return iteration, gm
