"""Drawing points from a mixture."""

from __future__ import annotations

import numpy as np

from gmm_gui.model.mixture import Mixture

__all__ = ["sample"]


def sample(
    mixture: Mixture, n: int, seed: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points from ``mixture``.

    The number of points of each component is multinomial with the mixture's weights; each
    component's points are ``mean + z @ L.T`` with ``z`` standard normal and ``L`` the Cholesky
    factor of its covariance. Points come grouped by component, as in scikit-learn.

    Parameters
    ----------
    mixture : Mixture
    n : int
        Number of points, >= 1.
    seed : int, numpy Generator or None

    Returns
    -------
    X : array of shape (n, n_features)
    labels : int array of shape (n,)
        The component each point was drawn from.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"the number of points to draw must be >= 1; got {n}.")
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, mixture.weights)
    labels = np.repeat(np.arange(mixture.n_components), counts)
    z = rng.standard_normal((n, mixture.n_features))
    X = np.empty_like(z)
    chol = mixture.cholesky
    start = 0
    for k, count in enumerate(counts):
        stop = start + int(count)
        X[start:stop] = mixture.means[k] + z[start:stop] @ chol[k].T
        start = stop
    return X, labels
