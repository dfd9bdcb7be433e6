"""The data made ready for the kernels: centred, transposed, with their monomials.

See :mod:`gmm_gui.model._kernels` for why (one matrix product per E-step) and how the
expansion's rounding is kept in check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DataCentre", "PreparedData"]

_EPS = float(np.finfo(np.float64).eps)
# The monomial matrix is not built when it would hold more than this many numbers.
_MAX_PHI_SIZE = 40_000_000


@dataclass(frozen=True)
class DataCentre:
    """What chunks of one data set share: the centre of the expansion and the data's scale.

    Attributes
    ----------
    offset : array of shape (n_features,)
        The whole data set's mean: every chunk is centred on it, so the chunks' statistics add
        up to those of the whole set.
    extent : array of shape (n_features,)
        Largest absolute centred coordinate per feature over the whole set (the error bounds of
        the expanded forms, so every chunk makes the whole set's exact-or-expanded choices).
    data_var : float
        Mean per-feature variance of the whole set (the diagnostics' scale of "zero").
    """

    offset: np.ndarray
    extent: np.ndarray
    data_var: float


class PreparedData:
    """Data made ready for repeated E- and M-steps: centred, transposed, with monomials.

    Build it once per data set (``prepare_data(X)``) and pass it instead of ``X`` to
    :func:`~gmm_gui.model.e_step`, :func:`~gmm_gui.model.m_step` and friends to skip the
    checks and the set-up on every call (the window's stepper does so while a Gaussian is
    dragged).

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Finite float64 data (already checked).

    Attributes
    ----------
    X : array of shape (n_samples, n_features)
        The data, read-only.
    offset : array of shape (n_features,)
        The data's mean, the centre of the expansion.
    xt : array of shape (n_features, n_samples)
        Centred data, one contiguous row per feature.
    phi : array of shape (n_terms, n_samples) or None
        Rows ``1``, the centred coordinates, then their products ``x_i x_j`` (``i <= j``).
    extent : array of shape (n_features,)
        Largest absolute centred coordinate per feature.
    data_var : float
        Mean per-feature variance.
    """

    __slots__ = ("X", "offset", "xt", "phi", "extent", "data_var", "pairs")

    def __init__(
        self,
        X: np.ndarray,
        centre: DataCentre | None = None,
        phi_buffer: np.ndarray | None = None,
    ) -> None:
        n_samples, n_features = X.shape
        X = X.view()
        X.flags.writeable = False
        self.X = X
        pairs = [(i, j) for i in range(n_features) for j in range(i, n_features)]
        self.pairs = pairs
        n_terms = 1 + n_features + len(pairs)
        if centre is not None:
            # one chunk of a larger data set: the whole set's centre, extent and scale, so that
            # the chunk's statistics add up exactly and its numerics are the whole set's
            self.offset = centre.offset
            self.extent = centre.extent
            self.data_var = centre.data_var
            if phi_buffer is not None and phi_buffer.shape[1] >= n_samples:
                phi = phi_buffer[:, :n_samples]
            else:
                phi = np.empty((n_terms, n_samples))
            xt = phi[1 : 1 + n_features]
            np.subtract(X.T, self.offset[:, None], out=xt)
            _fill_monomials(phi, pairs)
            self.phi = phi
            self.xt = xt
            return
        # column by column: numpy's mean(axis=0) of a tall, thin array is ten times slower
        self.offset = np.array([X[:, j].sum() for j in range(n_features)]) / n_samples
        if n_terms * n_samples <= _MAX_PHI_SIZE:
            phi = np.empty((n_terms, n_samples))
            xt = phi[1 : 1 + n_features]
            np.subtract(X.T, self.offset[:, None], out=xt)
            _fill_monomials(phi, pairs)
            self.phi: np.ndarray | None = phi
        else:
            xt = np.subtract(X.T, self.offset[:, None])
            self.phi = None
        self.xt = xt
        self.extent = np.abs(xt).max(axis=1)
        sq = np.einsum("ij,ij->i", xt, xt) / n_samples
        mean = xt.mean(axis=1)
        self.data_var = float(np.mean(np.maximum(sq - mean * mean, 0.0)))

    @property
    def centre(self) -> DataCentre:
        """The centre, extent and scale of these data (what a chunk of them is given)."""
        return DataCentre(self.offset, self.extent, self.data_var)

    def monomials(self) -> np.ndarray:
        """The monomial matrix ``phi``, built now (and not kept) if it was too large to keep.

        Returns
        -------
        array of shape (n_terms, n_samples)
            C-contiguous; ``data.phi`` itself when it exists (read it, do not write it).
        """
        if self.phi is not None:
            return self.phi
        phi = np.empty((1 + self.n_features + len(self.pairs), self.n_samples))
        phi[1 : 1 + self.n_features] = self.xt
        _fill_monomials(phi, self.pairs)
        return phi

    @property
    def n_samples(self) -> int:
        """Number of points."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of features."""
        return int(self.X.shape[1])


def _fill_monomials(phi: np.ndarray, pairs: list[tuple[int, int]]) -> None:
    """Fill row 0 (ones) and the product rows of ``phi`` from its coordinate rows, in place.

    ``phi`` has shape (1 + n_features + len(pairs), n_samples); rows ``1 .. n_features`` hold the
    centred coordinates, the row after them ``x_i x_j`` for each pair ``(i, j)`` in order.
    """
    n_features = phi.shape[0] - 1 - len(pairs)
    phi[0] = 1.0
    xt = phi[1 : 1 + n_features]
    for row, (i, j) in enumerate(pairs, start=1 + n_features):
        np.multiply(xt[i], xt[j], out=phi[row])


def _block_size(n_components: int) -> int:
    """Columns per block so that a (n_components, block) slab stays in cache."""
    return int(min(32768, max(2048, (1 << 17) // max(n_components, 1))))
