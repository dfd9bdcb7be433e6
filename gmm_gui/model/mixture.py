"""The immutable Gaussian mixture that every other part of the app passes around.

A :class:`Mixture` holds weights, means and covariances. Covariances are always stored as full
``(n_components, n_features, n_features)`` matrices whatever the covariance type, so a view never
has to care about scikit-learn's four storage shapes; the type is kept as a constraint that is
checked on construction (``diag``: off-diagonal entries zero; ``spherical``: diagonal with equal
entries; ``tied``: every component has the same matrix).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from gmm_gui.model._linalg import inv_lower
from gmm_gui.model.covariance import COVARIANCE, COVARIANCE_TYPES, check_covariance_type

__all__ = ["COVARIANCE_TYPES", "Mixture", "check_covariance_type"]

_WEIGHT_ATOL = 1e-8


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _expand_covariances(
    covariances: ArrayLike, covariance_type: str, n_components: int, n_features: int
) -> np.ndarray:
    """Turn scikit-learn's compact covariance shapes into full matrices."""
    spec = COVARIANCE[covariance_type]
    cov = np.asarray(covariances, dtype=np.float64)
    expected = spec.compact_shape(n_components, n_features)
    if cov.shape != expected:
        raise ValueError(
            f"{covariance_type} covariances must have shape {expected} for {n_components} "
            f"components in {n_features} dimensions; got {cov.shape}."
        )
    return spec.expand(cov, n_components, n_features)


class Mixture:
    """An immutable Gaussian mixture.

    Parameters
    ----------
    weights : array-like of shape (n_components,)
        Mixing proportions, non-negative, summing to one (a drift up to 1e-8 is renormalised).
    means : array-like of shape (n_components, n_features)
        Component means.
    covariances : array-like of shape (n_components, n_features, n_features)
        Component covariance matrices, always full matrices, each symmetric positive definite.
        Use :meth:`from_arrays` to pass scikit-learn's compact shapes instead.
    covariance_type : {"full", "tied", "diag", "spherical"}
        The constraint the covariances satisfy (checked): ``diag`` means zero off-diagonal
        entries, ``spherical`` a multiple of the identity, ``tied`` the same matrix for all.

    Raises
    ------
    ValueError
        With a sentence naming the offending component (numbered from 1) when the weights,
        shapes or covariances are invalid.

    Notes
    -----
    The arrays are stored as read-only float64 copies. Two mixtures compare equal when their
    type and arrays are equal.
    """

    __slots__ = ("_weights", "_means", "_covariances", "_covariance_type", "_cache")

    def __init__(
        self,
        weights: ArrayLike,
        means: ArrayLike,
        covariances: ArrayLike,
        covariance_type: str = "full",
    ) -> None:
        check_covariance_type(covariance_type)
        w = np.array(weights, dtype=np.float64, copy=True)
        mu = np.array(means, dtype=np.float64, copy=True)
        cov = np.array(covariances, dtype=np.float64, copy=True)
        if w.ndim != 1 or w.shape[0] < 1:
            raise ValueError(f"weights must be a non-empty 1-D array; got shape {w.shape}.")
        n_components = w.shape[0]
        if mu.ndim == 1 and n_components == 1:
            mu = mu[None, :]
        if mu.ndim != 2 or mu.shape[0] != n_components or mu.shape[1] < 1:
            raise ValueError(
                f"means must have shape (n_components, n_features) = ({n_components}, d); "
                f"got {mu.shape}."
            )
        n_features = mu.shape[1]
        if cov.shape != (n_components, n_features, n_features):
            raise ValueError(
                "covariances must have shape (n_components, n_features, n_features) = "
                f"({n_components}, {n_features}, {n_features}); got {cov.shape}."
            )
        if not (
            np.isfinite(w).all()
            and (w >= 0).all()
            and np.isfinite(mu).all()
            and np.isfinite(cov).all()
        ):
            _explain_non_finite(w, mu, cov)
        total = float(w.sum())
        if abs(total - 1.0) > _WEIGHT_ATOL:
            raise ValueError(f"the weights must sum to 1; they sum to {total:.10g}.")
        # Renormalise only drift beyond the rounding of the sum itself, so that weights read back
        # from a file (or passed through a Mixture twice) keep every bit.
        if abs(total - 1.0) > 4.0 * np.finfo(np.float64).eps * n_components:
            w /= total

        cov = COVARIANCE[covariance_type].check(cov)
        try:
            chol = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:  # pragma: no cover - checked per component above
            chol = None
        if chol is None or not np.all(np.diagonal(chol, axis1=1, axis2=2) > 0):
            for k in range(n_components):  # name the component
                COVARIANCE[covariance_type].check_one(cov[k], k)
            raise ValueError("a covariance matrix is not positive definite.")  # pragma: no cover

        self._weights = _readonly(w)
        self._means = _readonly(mu)
        self._covariances = _readonly(cov)
        self._covariance_type = covariance_type
        self._cache: dict[str, Any] = {"chol": _readonly(chol)}

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def from_arrays(
        cls,
        weights: ArrayLike,
        means: ArrayLike,
        covariances: ArrayLike,
        covariance_type: str = "full",
    ) -> Mixture:
        """Build a mixture from scikit-learn's compact covariance shapes.

        Parameters
        ----------
        weights : array-like of shape (n_components,)
        means : array-like of shape (n_components, n_features)
        covariances : array-like
            ``full``: (n_components, n_features, n_features); ``tied``: (n_features, n_features);
            ``diag``: (n_components, n_features); ``spherical``: (n_components,).
        covariance_type : {"full", "tied", "diag", "spherical"}

        Returns
        -------
        Mixture
        """
        check_covariance_type(covariance_type)
        mu = np.asarray(means, dtype=np.float64)
        if mu.ndim != 2:
            raise ValueError(f"means must have shape (n_components, n_features); got {mu.shape}.")
        full = _expand_covariances(covariances, covariance_type, mu.shape[0], mu.shape[1])
        return cls(weights, mu, full, covariance_type)

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "_cache"):
            raise AttributeError("Mixture is immutable; use with_component() and friends.")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Mixture is immutable.")

    # ------------------------------------------------------------------ properties
    @property
    def weights(self) -> np.ndarray:
        """Read-only array of shape (n_components,)."""
        return self._weights

    @property
    def means(self) -> np.ndarray:
        """Read-only array of shape (n_components, n_features)."""
        return self._means

    @property
    def covariances(self) -> np.ndarray:
        """Read-only array of shape (n_components, n_features, n_features), always full."""
        return self._covariances

    @property
    def covariance_type(self) -> str:
        """One of "full", "tied", "diag", "spherical"."""
        return self._covariance_type

    @property
    def n_components(self) -> int:
        """Number of components."""
        return int(self._weights.shape[0])

    @property
    def n_features(self) -> int:
        """Number of features (dimensions)."""
        return int(self._means.shape[1])

    @property
    def cholesky(self) -> np.ndarray:
        """Lower Cholesky factors ``L`` of the covariances, ``cov = L @ L.T``.

        Read-only array of shape (n_components, n_features, n_features).
        """
        if "chol" not in self._cache:
            self._cache["chol"] = _readonly(np.linalg.cholesky(self._covariances))
        return self._cache["chol"]

    @property
    def precisions_cholesky(self) -> np.ndarray:
        """scikit-learn's ``precisions_cholesky_`` as full matrices.

        Upper-triangular ``U`` with ``precision = U @ U.T``, i.e. ``U = inv(L).T``. Read-only
        array of shape (n_components, n_features, n_features).
        """
        if "prec_chol" not in self._cache:
            prec_chol = np.swapaxes(inv_lower(self.cholesky), 1, 2).copy()
            self._cache["prec_chol"] = _readonly(prec_chol)
        return self._cache["prec_chol"]

    @property
    def precisions(self) -> np.ndarray:
        """Inverse covariances, array of shape (n_components, n_features, n_features)."""
        if "prec" not in self._cache:
            u = self.precisions_cholesky
            self._cache["prec"] = _readonly(u @ np.swapaxes(u, 1, 2))
        return self._cache["prec"]

    def compact_covariances(self) -> np.ndarray:
        """Covariances in scikit-learn's shape for this mixture's covariance type.

        Returns
        -------
        array
            ``full``: (n_components, n_features, n_features); ``tied``: (n_features, n_features);
            ``diag``: (n_components, n_features); ``spherical``: (n_components,).
        """
        return COVARIANCE[self._covariance_type].compact(self._covariances)

    # ------------------------------------------------------------------ editing
    def with_component(
        self,
        k: int,
        mean: ArrayLike | None = None,
        cov: ArrayLike | None = None,
        weight: float | None = None,
    ) -> Mixture:
        """A copy with component ``k`` (0-based) moved, reshaped or re-weighted.

        Parameters
        ----------
        k : int
            Component index, 0-based.
        mean : array-like of shape (n_features,), optional
        cov : array-like of shape (n_features, n_features), optional
            For a ``tied`` mixture the shared covariance of every component changes.
        weight : float in (0, 1), optional
            The other weights are scaled so that all still sum to one.

        Returns
        -------
        Mixture
        """
        k = self._check_index(k)
        means = self._means.copy()
        covs = self._covariances.copy()
        weights = self._weights.copy()
        if mean is not None:
            means[k] = np.asarray(mean, dtype=np.float64).reshape(self.n_features)
        if cov is not None:
            c = np.asarray(cov, dtype=np.float64).reshape(self.n_features, self.n_features)
            if COVARIANCE[self._covariance_type].shared:
                covs[:] = c
            else:
                covs[k] = c
        if weight is not None:
            weights = _reweight(weights, k, float(weight))
        return Mixture(weights, means, covs, self._covariance_type)

    def without_component(self, k: int) -> Mixture:
        """A copy without component ``k`` (0-based); remaining weights are renormalised."""
        k = self._check_index(k)
        if self.n_components == 1:
            raise ValueError("cannot remove the only component of a mixture.")
        keep = np.arange(self.n_components) != k
        weights = self._weights[keep]
        total = weights.sum()
        if total <= 0:
            weights = np.full(weights.shape, 1.0 / weights.shape[0])
        else:
            weights = weights / total
        return Mixture(weights, self._means[keep], self._covariances[keep], self._covariance_type)

    def with_added(
        self, mean: ArrayLike, cov: ArrayLike | None = None, weight: float | None = None
    ) -> Mixture:
        """A copy with one more component, appended last.

        Parameters
        ----------
        mean : array-like of shape (n_features,)
        cov : array-like of shape (n_features, n_features), optional
            Default: the weight-averaged covariance of the existing components (for ``tied``,
            the shared covariance; a ``tied`` mixture only accepts its shared covariance).
        weight : float in (0, 1), optional
            Default ``1 / (n_components + 1)``; the existing weights are scaled by
            ``1 - weight``.

        Returns
        -------
        Mixture
        """
        d = self.n_features
        m = np.asarray(mean, dtype=np.float64).reshape(1, d)
        if cov is None:
            c = np.einsum("k,kij->ij", self._weights, self._covariances)
            if COVARIANCE[self._covariance_type].shared:
                c = self._covariances[0]
        else:
            c = np.asarray(cov, dtype=np.float64).reshape(d, d)
        w_new = 1.0 / (self.n_components + 1) if weight is None else float(weight)
        if not 0.0 < w_new < 1.0:
            raise ValueError(f"the new component's weight must be in (0, 1); got {w_new:g}.")
        weights = np.append(self._weights * (1.0 - w_new), w_new)
        return Mixture(
            weights,
            np.vstack([self._means, m]),
            np.concatenate([self._covariances, c[None]]),
            self._covariance_type,
        )

    def as_type(self, covariance_type: str) -> Mixture:
        """The closest mixture of another covariance type.

        ``full``: unchanged matrices; ``diag``: the diagonals; ``spherical``: the mean of each
        diagonal; ``tied``: the weight-averaged covariance shared by all components.
        """
        check_covariance_type(covariance_type)
        new = COVARIANCE[covariance_type].project(self._covariances, self._weights)
        return Mixture(self._weights, self._means, new, covariance_type)

    def _check_index(self, k: int) -> int:
        k = int(k)
        if not 0 <= k < self.n_components:
            raise IndexError(
                f"component index {k} out of range for a mixture of {self.n_components}."
            )
        return k

    # ------------------------------------------------------------------ dunder
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mixture):
            return NotImplemented
        return (
            self._covariance_type == other._covariance_type
            and np.array_equal(self._weights, other._weights)
            and np.array_equal(self._means, other._means)
            and np.array_equal(self._covariances, other._covariances)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Mixture(n_components={self.n_components}, n_features={self.n_features}, "
            f"covariance_type={self._covariance_type!r}, weights={np.round(self._weights, 4)})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            Mixture,
            (self._weights.copy(), self._means.copy(), self._covariances.copy(),
             self._covariance_type),
        )


def _reweight(weights: np.ndarray, k: int, weight: float) -> np.ndarray:
    if not 0.0 < weight < 1.0 and not (weight == 1.0 and weights.shape[0] == 1):
        raise ValueError(f"component {k + 1}'s weight must be in (0, 1); got {weight:g}.")
    others = np.delete(weights, k)
    rest = others.sum()
    out = np.empty_like(weights)
    if rest > 0:
        out[np.arange(weights.shape[0]) != k] = others * ((1.0 - weight) / rest)
    else:
        out[np.arange(weights.shape[0]) != k] = (1.0 - weight) / max(others.shape[0], 1)
    out[k] = weight
    return out


def _explain_non_finite(w: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> None:
    """Raise the ValueError naming the first component with a bad weight, mean or covariance."""
    for k in range(w.shape[0]):
        if not np.isfinite(w[k]):
            raise ValueError(f"component {k + 1} has a weight that is not finite ({w[k]}).")
        if w[k] < 0:
            raise ValueError(f"component {k + 1} has a negative weight ({w[k]:g}).")
        if not np.all(np.isfinite(mu[k])):
            raise ValueError(f"component {k + 1} has a mean that is not finite.")
        if not np.all(np.isfinite(cov[k])):
            raise ValueError(f"component {k + 1} has a covariance that is not finite.")
