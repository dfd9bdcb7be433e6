"""The covariance types, in one table: what each constrains, stores, counts and how it is checked.

A :class:`~gmm_gui.model.mixture.Mixture` always stores full ``(n_components, n_features,
n_features)`` matrices; the covariance type is a constraint on them, with scikit-learn's meaning
and its compact storage shapes. Everything that depends on the type asks its
:class:`CovarianceSpec` in :data:`COVARIANCE` instead of testing the name, so adding a type is one
entry here (and its tooltip text travels with it).

Every function of a spec that takes full matrices accepts any number of leading batch axes:
``raw`` of shape ``(..., n_components, n_features, n_features)`` and ``nk`` of shape ``(...,
n_components)``, so the batched EM of the basin maps constrains a whole pool of starts at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from gmm_gui.model.prior import (
    Prior,
    log_prior_diag,
    log_prior_full,
    log_prior_spherical,
    log_prior_tied,
    mode_diag,
    mode_full,
    mode_spherical,
    mode_tied,
)

__all__ = [
    "COVARIANCE",
    "COVARIANCE_TYPES",
    "CovarianceSpec",
    "CovarianceType",
    "check_covariance_type",
]

#: The name of a covariance type.
CovarianceType = Literal["full", "tied", "diag", "spherical"]

# Relative tolerances used when checking a covariance matrix's structure. Values within these of
# the required structure (round-off from arithmetic) are accepted and stored cleaned up.
_SYMMETRY_RTOL = 1e-9
_STRUCTURE_RTOL = 1e-9


# ---------------------------------------------------------------------------------- helpers
def _add_to_diagonal(cov: np.ndarray, value: float) -> np.ndarray:
    """``cov[..., i, i] += value`` in place; returns ``cov``."""
    idx = np.arange(cov.shape[-1])
    cov[..., idx, idx] += value
    return cov


def _diagonal_matrices(diag: np.ndarray) -> np.ndarray:
    """Diagonal matrices, shape (..., d, d), from their diagonals, shape (..., d)."""
    d = diag.shape[-1]
    full = np.zeros(diag.shape + (d,))
    idx = np.arange(d)
    full[..., idx, idx] = diag
    return full


def _diagonals(full: np.ndarray) -> np.ndarray:
    """The diagonals, shape (..., d), of matrices of shape (..., d, d) (a copy)."""
    return np.diagonal(full, axis1=-2, axis2=-1).copy()


def _equal_variances(diag: np.ndarray) -> np.ndarray:
    """Every entry of each diagonal (..., d) replaced by the diagonal's mean."""
    return np.repeat(diag.mean(axis=-1, keepdims=True), diag.shape[-1], axis=-1)


def _shared(full: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The ``weights``-weighted average matrix (..., d, d) of matrices (..., K, d, d)."""
    return np.einsum("...k,...kij->...ij", weights, full)


# ---------------------------------------------------------------------------------- full
def _full_constrain(raw: np.ndarray, nk: np.ndarray, reg_covar: float) -> np.ndarray:
    return _add_to_diagonal(0.5 * (raw + np.swapaxes(raw, -1, -2)), reg_covar)


def _full_expand(compact: np.ndarray, n_components: int, n_features: int) -> np.ndarray:
    return np.array(compact, dtype=np.float64, copy=True)


def _full_compact(full: np.ndarray) -> np.ndarray:
    return np.array(full, copy=True)


def _full_project(full: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return np.asarray(full)


# ---------------------------------------------------------------------------------- tied
def _tied_constrain(raw: np.ndarray, nk: np.ndarray, reg_covar: float) -> np.ndarray:
    shared = _shared(raw, nk) / nk.sum(axis=-1)[..., None, None]
    shared = 0.5 * (shared + np.swapaxes(shared, -1, -2))
    cov = np.broadcast_to(shared[..., None, :, :], raw.shape).copy()
    return _add_to_diagonal(cov, reg_covar)


def _tied_expand(compact: np.ndarray, n_components: int, n_features: int) -> np.ndarray:
    return np.broadcast_to(compact, (n_components, n_features, n_features)).copy()


def _tied_compact(full: np.ndarray) -> np.ndarray:
    return np.array(full[..., 0, :, :], copy=True)


def _tied_project(full: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return np.broadcast_to(_shared(full, weights)[..., None, :, :], full.shape)


# ---------------------------------------------------------------------------------- diag
def _diag_constrain(raw: np.ndarray, nk: np.ndarray, reg_covar: float) -> np.ndarray:
    return _add_to_diagonal(_diagonal_matrices(_diagonals(raw)), reg_covar)


def _diag_expand(compact: np.ndarray, n_components: int, n_features: int) -> np.ndarray:
    return _diagonal_matrices(np.asarray(compact, dtype=np.float64))


def _diag_project(full: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return _diagonal_matrices(_diagonals(full))


# ---------------------------------------------------------------------------------- spherical
def _spherical_constrain(raw: np.ndarray, nk: np.ndarray, reg_covar: float) -> np.ndarray:
    return _add_to_diagonal(_diagonal_matrices(_equal_variances(_diagonals(raw))), reg_covar)


def _spherical_expand(compact: np.ndarray, n_components: int, n_features: int) -> np.ndarray:
    variances = np.asarray(compact, dtype=np.float64)
    return _diagonal_matrices(np.repeat(variances[..., None], n_features, axis=-1))


def _spherical_compact(full: np.ndarray) -> np.ndarray:
    return np.array(full[..., 0, 0], copy=True)


def _spherical_project(full: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return _diagonal_matrices(_equal_variances(_diagonals(full)))


# ---------------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class CovarianceSpec:
    """Everything the engine, the files and the window need to know about one covariance type.

    The functions taking full matrices accept leading batch axes (``...``).

    Attributes
    ----------
    name : {"full", "tied", "diag", "spherical"}
    description : str
        One plain sentence for a tooltip.
    diagonal : bool
        Off-diagonal entries must be zero.
    isotropic : bool
        A multiple of the identity (implies ``diagonal``).
    shared : bool
        Every component has the same matrix.
    compact_shape : callable(n_components, n_features) -> tuple of int
        scikit-learn's storage shape of the covariances.
    n_parameters : callable(n_components, n_features) -> int
        Free parameters of the covariances alone (weights and means not counted).
    constrain : callable(raw, nk, reg_covar) -> array
        The M-step's constraint: ``raw`` (..., K, d, d) weighted covariances of the points about
        each mean, ``nk`` (..., K) the soft counts, ``reg_covar`` added to the diagonal (once,
        to the shared matrix, for ``tied``). Returns full matrices (..., K, d, d), a new array.
    expand : callable(compact, n_components, n_features) -> array
        Compact storage (of shape ``compact_shape``) to full matrices (K, d, d), a new array.
    compact : callable(full) -> array
        Full matrices (..., K, d, d) satisfying the constraint to compact storage (a copy).
    project : callable(full, weights) -> array
        The closest matrices (..., K, d, d) of this type to any full matrices, ``weights``
        (..., K) weighting the average of ``tied`` (what ``Mixture.as_type`` returns).
    constrain_with_prior : callable(nk, ybar, raw, prior) -> (means, covariances)
        The M-step with a :class:`~gmm_gui.model.prior.Prior`: the posterior mode of the means
        (..., K, d) and covariances (..., K, d, d) from the soft counts ``nk`` (..., K), the
        weighted means ``ybar`` (..., K, d) and the raw covariances about them (see
        :mod:`gmm_gui.model.prior`; no ``reg_covar``).
    log_prior : callable(means, covariances, prior) -> array
        The prior's log-density (..., ) of means (..., K, d) and covariances (..., K, d, d) of
        this type.
    """

    name: CovarianceType
    description: str
    diagonal: bool
    isotropic: bool
    shared: bool
    compact_shape: Callable[[int, int], tuple[int, ...]]
    n_parameters: Callable[[int, int], int]
    constrain: Callable[[np.ndarray, np.ndarray, float], np.ndarray]
    expand: Callable[[np.ndarray, int, int], np.ndarray]
    compact: Callable[[np.ndarray], np.ndarray]
    project: Callable[[np.ndarray, np.ndarray], np.ndarray]
    constrain_with_prior: Callable[
        [np.ndarray, np.ndarray, np.ndarray, Prior], tuple[np.ndarray, np.ndarray]
    ]
    log_prior: Callable[[np.ndarray, np.ndarray, Prior], np.ndarray]

    def check(self, cov: np.ndarray) -> np.ndarray:
        """Check full matrices against this type; return them cleaned of round-off.

        Parameters
        ----------
        cov : array of shape (n_components, n_features, n_features)
            Finite (checked by the caller).

        Returns
        -------
        array of shape (n_components, n_features, n_features)
            Exactly symmetric, exactly diagonal (``diag``, ``spherical``), with exactly equal
            variances (``spherical``) and exactly shared (``tied``). Positive definiteness is
            left to the caller's Cholesky factorisation.

        Raises
        ------
        ValueError
            Naming the first offending component from 1.
        """
        cov = _check_all(cov, self)
        if self.shared and cov.shape[0] > 1:
            scale = np.max(np.abs(cov[0]))
            diff = np.abs(cov[1:] - cov[0]).max(axis=(1, 2))
            bad = np.flatnonzero(diff > _STRUCTURE_RTOL * scale)
            if bad.size:
                raise ValueError(
                    f"component {bad[0] + 2} has a covariance different from component 1's, "
                    f"but {self.name} covariances must all be the same matrix."
                )
            cov[1:] = cov[0]
        return cov

    def check_one(self, c: np.ndarray, k: int) -> np.ndarray:
        """Check component ``k``'s matrix (d, d), positive definiteness included; return it
        cleaned. Raises ValueError with a sentence naming the component from 1."""
        return _check_one(c, k, self)


COVARIANCE: dict[str, CovarianceSpec] = {
    "full": CovarianceSpec(
        name="full",
        description="Each Gaussian has its own covariance: any ellipse",
        diagonal=False,
        isotropic=False,
        shared=False,
        compact_shape=lambda k, d: (k, d, d),
        n_parameters=lambda k, d: k * d * (d + 1) // 2,
        constrain=_full_constrain,
        expand=_full_expand,
        compact=_full_compact,
        project=_full_project,
        constrain_with_prior=mode_full,
        log_prior=log_prior_full,
    ),
    "tied": CovarianceSpec(
        name="tied",
        description="All Gaussians share one covariance: the same ellipse shape",
        diagonal=False,
        isotropic=False,
        shared=True,
        compact_shape=lambda k, d: (d, d),
        n_parameters=lambda k, d: d * (d + 1) // 2,
        constrain=_tied_constrain,
        expand=_tied_expand,
        compact=_tied_compact,
        project=_tied_project,
        constrain_with_prior=mode_tied,
        log_prior=log_prior_tied,
    ),
    "diag": CovarianceSpec(
        name="diag",
        description="Each Gaussian's ellipse is aligned with the axes",
        diagonal=True,
        isotropic=False,
        shared=False,
        compact_shape=lambda k, d: (k, d),
        n_parameters=lambda k, d: k * d,
        constrain=_diag_constrain,
        expand=_diag_expand,
        compact=_diagonals,
        project=_diag_project,
        constrain_with_prior=mode_diag,
        log_prior=log_prior_diag,
    ),
    "spherical": CovarianceSpec(
        name="spherical",
        description="Each Gaussian is round (one variance per Gaussian)",
        diagonal=True,
        isotropic=True,
        shared=False,
        compact_shape=lambda k, d: (k,),
        n_parameters=lambda k, d: k,
        constrain=_spherical_constrain,
        expand=_spherical_expand,
        compact=_spherical_compact,
        project=_spherical_project,
        constrain_with_prior=mode_spherical,
        log_prior=log_prior_spherical,
    ),
}

#: The covariance types, with scikit-learn's meaning, in the order menus list them.
COVARIANCE_TYPES: tuple[CovarianceType, ...] = tuple(COVARIANCE)  # type: ignore[assignment]


def check_covariance_type(covariance_type: str) -> CovarianceType:
    """Return ``covariance_type`` if it is in :data:`COVARIANCE_TYPES`, else raise ValueError."""
    if covariance_type not in COVARIANCE:
        raise ValueError(
            f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}; "
            f"got {covariance_type!r}."
        )
    return covariance_type  # type: ignore[return-value]


# ---------------------------------------------------------------------------------- checks
def _check_all(cov: np.ndarray, spec: CovarianceSpec) -> np.ndarray:
    """Check every covariance at once; explain the first bad one if any. Returns them cleaned."""
    n_components, n_features, _ = cov.shape
    scale = np.abs(cov).max(axis=(1, 2))
    ok = bool(np.all(scale > 0))
    if ok:
        asym = np.abs(cov - np.swapaxes(cov, 1, 2)).max(axis=(1, 2))
        ok = bool(np.all(asym <= _SYMMETRY_RTOL * scale))
    if ok:
        cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
        diag = np.diagonal(cov, axis1=1, axis2=2).copy()
        ok = bool(np.all(diag > 0))
    if ok and spec.diagonal:
        idx = np.arange(n_features)
        off = cov.copy()
        off[:, idx, idx] = 0.0
        ok = bool(np.all(np.abs(off).max(axis=(1, 2)) <= _STRUCTURE_RTOL * scale))
        if ok and spec.isotropic:
            spread = diag.max(axis=1) - diag.min(axis=1)
            ok = bool(np.all(spread <= _STRUCTURE_RTOL * scale))
            diag = np.repeat(diag.mean(axis=1, keepdims=True), n_features, axis=1)
        if ok:
            cov = np.zeros_like(cov)
            cov[:, idx, idx] = diag
    if ok:
        return cov
    out = np.empty_like(cov)
    for k in range(n_components):
        out[k] = _check_one(cov[k], k, spec)
    return out


def _check_one(c: np.ndarray, k: int, spec: CovarianceSpec) -> np.ndarray:
    """Check one covariance matrix; return it cleaned of round-off (exactly symmetric etc.)."""
    name = f"component {k + 1}"
    d = c.shape[0]
    scale = float(np.max(np.abs(c))) if c.size else 0.0
    if scale == 0.0:
        raise ValueError(f"{name} has an all-zero covariance; its variance must be positive.")
    if np.max(np.abs(c - c.T)) > _SYMMETRY_RTOL * scale:
        raise ValueError(f"{name} has a covariance matrix that is not symmetric.")
    c = 0.5 * (c + c.T)
    diag = np.diagonal(c).copy()
    if np.any(diag <= 0):
        j = int(np.argmin(diag))
        raise ValueError(
            f"{name} has a variance of {diag[j]:g} along feature {j + 1}; variances must be "
            "positive."
        )
    if spec.diagonal:
        off = c - np.diag(diag)
        if d > 1 and np.max(np.abs(off)) > _STRUCTURE_RTOL * scale:
            raise ValueError(
                f"{name} has non-zero off-diagonal covariance, but {spec.name} "
                "covariances must be diagonal."
            )
        if spec.isotropic:
            if np.max(diag) - np.min(diag) > _STRUCTURE_RTOL * scale:
                raise ValueError(
                    f"{name} has different variances along different features, but "
                    f"{spec.name} covariances must have the same variance in every direction."
                )
            diag = np.full(d, diag.mean())
        c = np.diag(diag)
    try:
        chol = np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"{name} has a covariance matrix that is not positive definite (it is flat in some "
            "direction); every covariance must be symmetric positive definite."
        ) from None
    if not np.all(np.diagonal(chol) > 0):
        raise ValueError(f"{name} has a covariance matrix that is not positive definite.")
    return c
