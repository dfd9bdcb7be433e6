"""The conjugate prior of Fraley and Raftery (2007) for MAP-EM, as R's mclust 6 uses it.

Fraley, C. and Raftery, A. E. (2007), "Bayesian regularization for normal mixture estimation and
model-based clustering", Journal of Classification 24, 155-181. With a prior, EM maximises the
log-posterior ``log L + log p(theta)`` instead of the log-likelihood, and the M-step returns the
posterior mode. A component can then no longer collapse onto a point: the prior's scale keeps
every variance away from zero.

The prior (no prior on the mixing weights, as in mclust), with ``kappa`` the shrinkage, ``mu_P``
the prior mean, ``nu`` the degrees of freedom and ``Lambda`` the scale (d, d):

* full (mclust ``VVV``; 1-D ``V``): per component ``Sigma_k ~ InvWishart(nu, Lambda)`` and
  ``mu_k | Sigma_k ~ N(mu_P, Sigma_k / kappa)``;
* tied (``EEE``; 1-D ``E``): one ``Sigma ~ InvWishart(nu, Lambda)``, every
  ``mu_k | Sigma ~ N(mu_P, Sigma / kappa)``;
* diag (``VVI``): per component and feature ``sigma_kj^2 ~ InvGamma(nu / 2, s / 2)`` and
  ``mu_kj ~ N(mu_Pj, sigma_kj^2 / kappa)``;
* spherical (``VII``): per component ``sigma_k^2 ~ InvGamma(nu / 2, s / 2)`` and
  ``mu_k ~ N(mu_P, sigma_k^2 I / kappa)``;

where ``s = trace(Lambda) / d`` (mclust's scalar scale of the diagonal models). With shrinkage 0
the means have a flat (improper) prior, which adds nothing to the log-density.

The posterior modes (mclust's Fortran ``msvvvp``, ``mseeep``, ``msvvip``, ``msviip``,
``ms1vp``, ``ms1ep``), with ``n_k`` the soft counts, ``ybar_k`` the weighted means,
``W_k = n_k raw_k`` the scatter about them, ``delta_k = ybar_k - mu_P``,
``c_k = kappa n_k / (n_k + kappa)`` and ``[kappa > 0]`` 1 or 0:

* means ``mu_k = (n_k ybar_k + kappa mu_P) / (n_k + kappa)`` for every type;
* full: ``Sigma_k = (Lambda + W_k + c_k delta delta^T) / (nu + n_k + d + 1 + [kappa > 0])``;
* tied: ``Sigma = (Lambda + sum_k (W_k + c_k delta delta^T)) / (nu + n + d + 1 + K [kappa > 0])``;
* diag: ``sigma_kj^2 = (s + W_kjj + c_k delta_j^2) / (nu + n_k + 2 + [kappa > 0])``;
* spherical: ``sigma_k^2 = (s + tr W_k + c_k |delta|^2) / (nu + n_k d + 2 + d [kappa > 0])``.

Each is the exact maximiser of the expected complete-data log-likelihood plus the log prior
density below, so the log-posterior never decreases from one EM iteration to the next. With a
prior, ``reg_covar`` is not added: the M-step is the posterior mode itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln, multigammaln

__all__ = [
    "DEFAULT_SHRINKAGE",
    "Prior",
    "log_prior_diag",
    "log_prior_full",
    "log_prior_spherical",
    "log_prior_tied",
    "mode_diag",
    "mode_full",
    "mode_spherical",
    "mode_tied",
]

#: mclust's ``priorControl()`` default shrinkage (``kappa``).
DEFAULT_SHRINKAGE = 0.01

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True, eq=False)
class Prior:
    """A conjugate prior on the means and covariances of a Gaussian mixture.

    Attributes
    ----------
    shrinkage : float
        ``kappa >= 0``: the prior is worth this many points pulling each mean towards ``mean``
        (0: no prior on the means).
    mean : array of shape (n_features,)
        ``mu_P``, the prior mean of every component's mean.
    dof : float
        ``nu``, degrees of freedom of the inverse Wishart (inverse gamma) prior of the
        covariances; greater than ``n_features - 1``.
    scale : array of shape (n_features, n_features)
        ``Lambda``, symmetric positive definite; the diag and spherical types use the scalar
        ``trace(scale) / n_features`` (as mclust does).
    """

    shrinkage: float
    mean: np.ndarray = field(repr=False)
    dof: float
    scale: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        shrinkage = float(self.shrinkage)
        if not (math.isfinite(shrinkage) and shrinkage >= 0):
            raise ValueError(f"the prior's shrinkage must be finite and >= 0; got {shrinkage}.")
        mean = np.array(self.mean, dtype=np.float64).reshape(-1)
        d = mean.size
        if d < 1 or not np.all(np.isfinite(mean)):
            raise ValueError("the prior's mean must be a non-empty vector of finite numbers.")
        scale = np.array(self.scale, dtype=np.float64)
        if scale.ndim == 0:
            scale = scale.reshape(1, 1)
        if scale.shape != (d, d) or not np.all(np.isfinite(scale)):
            raise ValueError(f"the prior's scale must be a finite ({d}, {d}) matrix.")
        scale = 0.5 * (scale + scale.T)
        if np.any(np.linalg.eigvalsh(scale) <= 0):
            raise ValueError("the prior's scale must be positive definite.")
        dof = float(self.dof)
        if not (math.isfinite(dof) and dof > d - 1):
            raise ValueError(f"the prior's dof must be greater than {d - 1}; got {dof}.")
        mean.flags.writeable = False
        scale.flags.writeable = False
        object.__setattr__(self, "shrinkage", shrinkage)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "dof", dof)
        object.__setattr__(self, "scale", scale)

    @classmethod
    def default(cls, X: ArrayLike, n_components: int) -> Prior:
        """mclust 6's ``priorControl()`` defaults for ``X`` and ``n_components`` components.

        Shrinkage 0.01, the data mean, ``dof = d + 2`` and ``scale = cov(X) / K^(2/d)`` (the
        sample covariance with ``n - 1`` in the denominator, R's ``var``; in 1-D
        ``var(X) / K^2``). For the diag and spherical types this gives mclust's scalar
        ``mean(diag(cov(X))) / K^(2/d)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            At least two points; a 1-D array is one feature.
        n_components : int

        Returns
        -------
        Prior
        """
        Xa = np.asarray(X, dtype=np.float64)
        if Xa.ndim == 1:
            Xa = Xa[:, None]
        if Xa.ndim != 2 or Xa.shape[0] < 2:
            raise ValueError("the default prior needs data of shape (n_samples >= 2, n_features).")
        k = int(n_components)
        if k < 1:
            raise ValueError("n_components must be >= 1.")
        cov = np.atleast_2d(np.cov(Xa, rowvar=False, ddof=1))
        return cls.from_moments(Xa.shape[0], Xa.mean(axis=0), cov, k)

    @classmethod
    def from_moments(
        cls, n_samples: int, mean: ArrayLike, covariance: ArrayLike, n_components: int
    ) -> Prior:
        """:meth:`default` from the data's moments, for data not held in memory (chunks).

        Parameters
        ----------
        n_samples : int
            At least two.
        mean : array-like of shape (n_features,)
        covariance : array-like of shape (n_features, n_features)
            The sample covariance, ``n - 1`` in the denominator.
        n_components : int

        Returns
        -------
        Prior
        """
        mu = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        d = mu.shape[0]
        cov = np.array(np.atleast_2d(covariance), dtype=np.float64)
        k = int(n_components)
        if int(n_samples) < 2 or cov.shape != (d, d) or k < 1:
            raise ValueError(
                "the default prior needs at least two points, a (d, d) covariance for a mean of "
                "d values and n_components >= 1."
            )
        if int(n_samples) <= d:  # mclust: the variances only when the covariance is singular
            cov = np.diag(np.diag(cov))
        return cls(
            shrinkage=DEFAULT_SHRINKAGE,
            mean=mu,
            dof=d + 2.0,
            scale=cov * (1.0 / k) ** (2.0 / d),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Prior):
            return NotImplemented
        return (
            self.shrinkage == other.shrinkage
            and self.dof == other.dof
            and np.array_equal(self.mean, other.mean)
            and np.array_equal(self.scale, other.scale)
        )

    def __hash__(self) -> int:
        return hash((self.shrinkage, self.dof, self.mean.tobytes(), self.scale.tobytes()))

    def as_dict(self) -> dict[str, object]:
        """Plain numbers and lists (for a parameter file): ``Prior.from_dict`` reads it back.

        Returns
        -------
        dict
            ``{"shrinkage": float, "mean": [d floats], "dof": float, "scale": [[d floats] * d]}``.
        """
        return {
            "shrinkage": self.shrinkage,
            "mean": [float(v) for v in self.mean],
            "dof": self.dof,
            "scale": [[float(v) for v in row] for row in self.scale],
        }

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> Prior:
        """The prior that :meth:`as_dict` wrote (checked as any prior; ValueError if bad)."""
        try:
            return cls(
                shrinkage=float(values["shrinkage"]),  # type: ignore[arg-type]
                mean=np.asarray(values["mean"], dtype=float),
                dof=float(values["dof"]),  # type: ignore[arg-type]
                scale=np.asarray(values["scale"], dtype=float),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"a prior needs shrinkage, mean, dof and scale: {exc}") from None

    @property
    def n_features(self) -> int:
        """Dimension of the data the prior is for."""
        return int(self.mean.size)

    @property
    def scalar_scale(self) -> float:
        """``trace(scale) / n_features``: the scale of the diag and spherical types."""
        return float(np.trace(self.scale)) / self.n_features

    def check_features(self, n_features: int) -> Prior:
        """Return self if it is for ``n_features`` dimensions, else raise ValueError."""
        if self.n_features != n_features:
            raise ValueError(
                f"the prior is for {self.n_features}-dimensional data but the data have "
                f"{n_features} dimensions."
            )
        return self


# ---------------------------------------------------------------------------------- modes
def _shrunk_means(nk: np.ndarray, ybar: np.ndarray, prior: Prior) -> tuple[np.ndarray, ...]:
    """Posterior-mode means, ``delta = ybar - mu_P`` and ``c = kappa n / (n + kappa)``."""
    kappa = prior.shrinkage
    delta = ybar - prior.mean
    means = (nk[..., None] * ybar + kappa * prior.mean) / (nk + kappa)[..., None]
    c = kappa * nk / (nk + kappa)
    return means, delta, c


def mode_full(
    nk: np.ndarray, ybar: np.ndarray, raw: np.ndarray, prior: Prior
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mode of full covariances (mclust ``VVV``).

    Parameters
    ----------
    nk : array of shape (..., K)
        Soft counts.
    ybar : array of shape (..., K, d)
        Responsibility-weighted means.
    raw : array of shape (..., K, d, d)
        Weighted covariances about ``ybar`` (the scatter divided by ``nk``).
    prior : Prior

    Returns
    -------
    means : array of shape (..., K, d)
    covariances : array of shape (..., K, d, d)
    """
    d = ybar.shape[-1]
    means, delta, c = _shrunk_means(nk, ybar, prior)
    scatter = nk[..., None, None] * raw + c[..., None, None] * (
        delta[..., :, None] * delta[..., None, :]
    )
    denom = prior.dof + nk + d + 1 + (prior.shrinkage > 0)
    cov = (prior.scale + scatter) / denom[..., None, None]
    return means, 0.5 * (cov + np.swapaxes(cov, -1, -2))


def mode_tied(
    nk: np.ndarray, ybar: np.ndarray, raw: np.ndarray, prior: Prior
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mode of one shared covariance (mclust ``EEE``); shapes as :func:`mode_full`."""
    d = ybar.shape[-1]
    k = nk.shape[-1]
    means, delta, c = _shrunk_means(nk, ybar, prior)
    scatter = nk[..., None, None] * raw + c[..., None, None] * (
        delta[..., :, None] * delta[..., None, :]
    )
    denom = prior.dof + nk.sum(axis=-1) + d + 1 + k * (prior.shrinkage > 0)
    shared = (prior.scale + scatter.sum(axis=-3)) / np.asarray(denom)[..., None, None]
    shared = 0.5 * (shared + np.swapaxes(shared, -1, -2))
    return means, np.broadcast_to(shared[..., None, :, :], raw.shape).copy()


def mode_diag(
    nk: np.ndarray, ybar: np.ndarray, raw: np.ndarray, prior: Prior
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mode of diagonal covariances (mclust ``VVI``); shapes as :func:`mode_full`."""
    means, delta, c = _shrunk_means(nk, ybar, prior)
    diag = np.diagonal(raw, axis1=-2, axis2=-1)
    num = prior.scalar_scale + nk[..., None] * diag + c[..., None] * delta**2
    var = num / (prior.dof + nk + 2 + (prior.shrinkage > 0))[..., None]
    return means, _diagonal_matrices(var)


def mode_spherical(
    nk: np.ndarray, ybar: np.ndarray, raw: np.ndarray, prior: Prior
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mode of spherical covariances (mclust ``VII``); shapes as :func:`mode_full`."""
    d = ybar.shape[-1]
    means, delta, c = _shrunk_means(nk, ybar, prior)
    trace = np.trace(raw, axis1=-2, axis2=-1)
    num = prior.scalar_scale + nk * trace + c * np.sum(delta**2, axis=-1)
    var = num / (prior.dof + nk * d + 2 + d * (prior.shrinkage > 0))
    return means, _diagonal_matrices(np.repeat(var[..., None], d, axis=-1))


def _diagonal_matrices(diag: np.ndarray) -> np.ndarray:
    d = diag.shape[-1]
    full = np.zeros(diag.shape + (d,))
    idx = np.arange(d)
    full[..., idx, idx] = diag
    return full


# ---------------------------------------------------------------------------------- densities
def _log_inv_wishart(cov: np.ndarray, prior: Prior) -> np.ndarray:
    """``log InvWishart(cov | nu, Lambda)`` for matrices (..., d, d)."""
    d = prior.n_features
    nu = prior.dof
    _, logdet_s = np.linalg.slogdet(prior.scale)
    _, logdet = np.linalg.slogdet(cov)
    trace = np.trace(np.linalg.solve(cov, np.broadcast_to(prior.scale, cov.shape)), axis1=-2,
                     axis2=-1)
    return (
        0.5 * nu * logdet_s
        - 0.5 * nu * d * math.log(2.0)
        - float(multigammaln(0.5 * nu, d))
        - 0.5 * (nu + d + 1) * logdet
        - 0.5 * trace
    )


def _log_normal_means(means: np.ndarray, cov: np.ndarray, prior: Prior) -> np.ndarray:
    """``log N(mu | mu_P, cov / kappa)`` for means (..., d), matrices (..., d, d); 0 if kappa 0."""
    kappa = prior.shrinkage
    if kappa == 0:
        return np.zeros(means.shape[:-1])
    d = prior.n_features
    delta = means - prior.mean
    _, logdet = np.linalg.slogdet(cov)
    maha = np.einsum("...i,...i->...", delta, np.linalg.solve(cov, delta[..., None])[..., 0])
    return -0.5 * d * _LOG_2PI + 0.5 * d * math.log(kappa) - 0.5 * logdet - 0.5 * kappa * maha


def _log_inv_gamma(var: np.ndarray, prior: Prior) -> np.ndarray:
    """``log InvGamma(var | nu / 2, s / 2)`` elementwise."""
    a = 0.5 * prior.dof
    b = 0.5 * prior.scalar_scale
    return a * math.log(b) - float(gammaln(a)) - (a + 1) * np.log(var) - b / var


def log_prior_full(means: np.ndarray, covs: np.ndarray, prior: Prior) -> np.ndarray:
    """Log prior density of full covariances and their means.

    Parameters
    ----------
    means : array of shape (..., K, d)
    covs : array of shape (..., K, d, d)
    prior : Prior

    Returns
    -------
    array of shape (...)
        Summed over the components.
    """
    per = _log_inv_wishart(covs, prior) + _log_normal_means(means, covs, prior)
    return per.sum(axis=-1)


def log_prior_tied(means: np.ndarray, covs: np.ndarray, prior: Prior) -> np.ndarray:
    """Log prior density of one shared covariance (``covs[..., 0, :, :]``) and the means."""
    shared = covs[..., 0, :, :]
    return _log_inv_wishart(shared, prior) + _log_normal_means(means, covs, prior).sum(axis=-1)


def log_prior_diag(means: np.ndarray, covs: np.ndarray, prior: Prior) -> np.ndarray:
    """Log prior density of diagonal covariances and their means (shapes as full)."""
    var = np.diagonal(covs, axis1=-2, axis2=-1)  # (..., K, d)
    total = _log_inv_gamma(var, prior).sum(axis=(-2, -1))
    kappa = prior.shrinkage
    if kappa > 0:
        delta = means - prior.mean
        normal = -0.5 * (_LOG_2PI - math.log(kappa) + np.log(var)) - 0.5 * kappa * delta**2 / var
        total = total + normal.sum(axis=(-2, -1))
    return total


def log_prior_spherical(means: np.ndarray, covs: np.ndarray, prior: Prior) -> np.ndarray:
    """Log prior density of spherical covariances and their means (shapes as full)."""
    d = prior.n_features
    var = covs[..., 0, 0]  # (..., K)
    total = _log_inv_gamma(var, prior)
    kappa = prior.shrinkage
    if kappa > 0:
        sq = np.sum((means - prior.mean) ** 2, axis=-1)
        total = total - 0.5 * d * (_LOG_2PI - math.log(kappa) + np.log(var)) - (
            0.5 * kappa * sq / var
        )
    return total.sum(axis=-1)
