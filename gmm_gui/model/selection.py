"""Choosing the number of components K, which EM cannot learn by itself.

More components never lower the training likelihood, so K is chosen by a criterion that pays for
parameters (BIC, AIC: lower is better) or by the likelihood of points the model was not fitted on
(higher is better). :func:`choose_k` fits every K from 1 to ``k_max`` for each covariance type and
returns all three curves.

Every fit climbs to :data:`~gmm_gui.model.convergence.RUN_TOL` (at most
:data:`~gmm_gui.model.convergence.RUN_MAX_ITER` iterations) by default. A candidate whose fit is
degenerate (a component collapsed, see :func:`gmm_gui.model.diagnostics.degenerate_components`)
has ``bic`` and ``aic`` NaN, as mclust reports no BIC for it, so it is never chosen; the values
its likelihood gives are kept in ``raw_bic`` and ``raw_aic``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from gmm_gui.model._progress import never_cancel, no_progress
from gmm_gui.model.convergence import RUN_MAX_ITER, RUN_TOL
from gmm_gui.model.covariance import COVARIANCE_TYPES
from gmm_gui.model.criteria import aic, bic, n_parameters
from gmm_gui.model.em import fit
from gmm_gui.model.mixture import Mixture
from gmm_gui.model.prior import Prior
from gmm_gui.model.steps import score_samples

__all__ = [
    "CRITERIA",
    "KCandidate",
    "KSelection",
    "choose_k",
    "holdout_split",
]

ProgressCallback = Callable[[int, int], None]
CancelCallback = Callable[[], bool]
#: Makes the prior for data and a number of components, e.g. :meth:`Prior.default`.
PriorFactory = Callable[[np.ndarray, int], Prior]
Criterion = Literal["bic", "aic", "heldout"]

#: The criteria of a :class:`KSelection`: BIC and AIC (lower is better) and the mean held-out
#: log-likelihood per point (higher is better).
CRITERIA: tuple[str, ...] = ("bic", "aic", "heldout")
_LOWER_IS_BETTER = {"bic": True, "aic": True, "heldout": False}


@dataclass(frozen=True)
class KCandidate:
    """One (covariance type, K) of a :class:`KSelection`.

    Attributes
    ----------
    covariance_type : str
    n_components : int
    mixture : Mixture or None
        Fitted on all the data (the model BIC and AIC judge, and the one to load); ``None`` when
        skipped.
    mean_log_likelihood : float
        Mean log-likelihood per point of ``mixture`` on all the data.
    bic, aic : float
        Of ``mixture`` on all the data; NaN when skipped or degenerate (as mclust does).
    heldout_log_likelihood : float
        Mean log-likelihood per held-out point of a model of the same kind fitted on the other
        points; NaN when that fit was not possible.
    n_parameters : int
        Free parameters of the model.
    converged : bool
        Whether the fit on all the data converged.
    skipped : str or None
        Why this K was not fitted (e.g. more components than points), in a sentence.
    degenerate_components : tuple of int
        Components of ``mixture`` that collapsed (see
        :func:`gmm_gui.model.diagnostics.degenerate_components`).
    raw_bic, raw_aic : float
        BIC and AIC from the likelihood of ``mixture`` even when degenerate (NaN when skipped).
    mean_log_posterior : float
        With a prior, the objective of the fit on all the data; NaN without one.
    """

    covariance_type: str
    n_components: int
    mixture: Mixture | None
    mean_log_likelihood: float
    bic: float
    aic: float
    heldout_log_likelihood: float
    n_parameters: int
    converged: bool = True
    skipped: str | None = None
    degenerate_components: tuple[int, ...] = ()
    raw_bic: float = float("nan")
    raw_aic: float = float("nan")
    mean_log_posterior: float = float("nan")

    @property
    def degenerate(self) -> bool:
        """The fit is a degenerate solution (a component collapsed): no BIC or AIC."""
        return bool(self.degenerate_components)

    @classmethod
    def not_fitted(
        cls, covariance_type: str, n_components: int, n_parameters: int, reason: str
    ) -> KCandidate:
        """A candidate that was skipped or failed to fit, with the reason in words."""
        return cls(
            covariance_type=covariance_type,
            n_components=n_components,
            mixture=None,
            mean_log_likelihood=np.nan,
            bic=np.nan,
            aic=np.nan,
            heldout_log_likelihood=np.nan,
            n_parameters=n_parameters,
            converged=False,
            skipped=reason,
        )

    def value(self, criterion: str) -> float:
        """The value of ``criterion`` ("bic", "aic" or "heldout") for this candidate."""
        if criterion == "bic":
            return self.bic
        if criterion == "aic":
            return self.aic
        if criterion == "heldout":
            return self.heldout_log_likelihood
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")


@dataclass(frozen=True)
class KSelection:
    """BIC, AIC and held-out log-likelihood for K = 1 .. ``k_max`` and several covariance types.

    Attributes
    ----------
    candidates : tuple of KCandidate
        By covariance type, then K (fewer than all when cancelled).
    covariance_types : tuple of str
    k_max : int
    train_index : int array of shape (n_train,)
    test_index : int array of shape (n_test,)
        The split used for the held-out log-likelihood (rows of X).
    cancelled : bool
    """

    candidates: tuple[KCandidate, ...]
    covariance_types: tuple[str, ...]
    k_max: int
    train_index: np.ndarray
    test_index: np.ndarray
    cancelled: bool = False

    def get(self, covariance_type: str, n_components: int) -> KCandidate | None:
        """The candidate for this type and K, or ``None``."""
        for cand in self.candidates:
            if cand.covariance_type == covariance_type and cand.n_components == n_components:
                return cand
        return None

    def curve(self, criterion: str, covariance_type: str) -> tuple[np.ndarray, np.ndarray]:
        """The points of one curve, for plotting.

        Returns
        -------
        ks : int array of shape (m,)
        values : array of shape (m,)
            ``criterion`` at each K; NaN where it could not be computed.
        """
        cands = [c for c in self.candidates if c.covariance_type == covariance_type]
        ks = np.array([c.n_components for c in cands], dtype=np.int64)
        values = np.array([c.value(criterion) for c in cands], dtype=float)
        return ks, values

    def best(self, criterion: str, covariance_type: str | None = None) -> KCandidate | None:
        """The best candidate by ``criterion``, for one covariance type or over all of them.

        BIC and AIC are best when lowest, the held-out log-likelihood when highest; ties go to
        the smaller K (then to the earlier covariance type). ``None`` when nothing is finite.
        """
        if criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
        sign = 1.0 if _LOWER_IS_BETTER[criterion] else -1.0
        best: KCandidate | None = None
        best_key: tuple[float, int, int] | None = None
        for cand in self.candidates:
            if covariance_type is not None and cand.covariance_type != covariance_type:
                continue
            value = cand.value(criterion)
            if not np.isfinite(value):
                continue
            key = (
                sign * value,
                cand.n_components,
                self.covariance_types.index(cand.covariance_type),
            )
            if best_key is None or key < best_key:
                best, best_key = cand, key
        return best

    def best_k(self, criterion: str, covariance_type: str) -> int | None:
        """K of :meth:`best` for one covariance type, or ``None``."""
        cand = self.best(criterion, covariance_type)
        return None if cand is None else cand.n_components


def holdout_split(
    n_samples: int, holdout_fraction: float = 0.2, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A random split of the rows into a training part and a held-out part.

    Parameters
    ----------
    n_samples : int
    holdout_fraction : float
        Share of points held out, in (0, 1); at least one point is held out and one kept.
    seed : int or None
        The same seed always gives the same split.

    Returns
    -------
    train_index : int array of shape (n_train,)
    test_index : int array of shape (n_test,)
        Sorted, disjoint, together all of ``range(n_samples)``.
    """
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError("holdout_fraction must be between 0 and 1")
    if n_samples < 2:
        raise ValueError("a held-out split needs at least two points")
    n_test = min(n_samples - 1, max(1, int(round(holdout_fraction * n_samples))))
    order = np.random.default_rng(seed).permutation(n_samples)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def _skip_reason(X: np.ndarray, n_components: int) -> str | None:
    n_distinct = np.unique(X, axis=0).shape[0]
    if n_components > n_distinct:
        return (
            f"K = {n_components} needs at least {n_components} distinct points; "
            f"the data has {n_distinct}"
        )
    return None


def choose_k(
    X: np.ndarray,
    k_max: int,
    covariance_types: Sequence[str] = COVARIANCE_TYPES,
    *,
    holdout_fraction: float = 0.2,
    seed: int | None = 0,
    init: str = "kmeans++",
    n_init: int = 3,
    max_iter: int = RUN_MAX_ITER,
    tol: float = RUN_TOL,
    reg_covar: float = 1e-6,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
    prior: PriorFactory | None = None,
) -> KSelection:
    """Fit K = 1 .. ``k_max`` components of each covariance type and score every model.

    For each type and K: a mixture fitted on all the data with its BIC and AIC, and the mean
    log-likelihood per point of the held-out ``holdout_fraction`` of the data under a mixture of
    the same kind fitted on the rest (a fixed random split, by ``seed``).

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    k_max : int
        The largest K tried.
    covariance_types : sequence of {"full", "tied", "diag", "spherical"}
        Default: every type, in the order of :data:`~gmm_gui.model.COVARIANCE_TYPES`.
    holdout_fraction : float
        Share of points held out.
    seed : int or None
        Seed of the split and of the fits' random starts.
    init, n_init, max_iter, tol, reg_covar
        Passed to :func:`gmm_gui.model.em.fit` (``n_init`` starts, the best kept). The default
        ``tol`` and ``max_iter`` are ``RUN_TOL`` and ``RUN_MAX_ITER``: every fit converges.
    progress : callable(done, total), optional
        Called after each (type, K), out of ``len(covariance_types) * k_max``.
    should_cancel : callable() -> bool, optional
        Polled between fits and at every EM iteration; when it returns True the candidates
        finished so far are returned with ``cancelled=True``.
    prior : callable(X, n_components) -> Prior, optional
        MAP-EM: each fit (on all the data, and on the training part) uses the prior this makes
        for its data and K; pass :meth:`Prior.default <gmm_gui.model.prior.Prior.default>` for
        mclust's defaults.

    Returns
    -------
    KSelection
        K too large for the data is listed with a ``skipped`` reason, not an error.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_features), got {X.shape}")
    if k_max < 1:
        raise ValueError("k_max must be at least 1")
    progress = progress or no_progress
    should_cancel = should_cancel or never_cancel
    types = tuple(covariance_types)
    n_samples, n_features = X.shape
    train_index, test_index = holdout_split(n_samples, holdout_fraction, seed)
    X_train, X_test = X[train_index], X[test_index]
    total = len(types) * k_max
    candidates: list[KCandidate] = []
    cancelled = False
    stopped = False

    def on_step(iteration: int, mixture: Mixture, mean_ll: float) -> bool:
        nonlocal stopped
        if should_cancel():
            stopped = True
            return False
        return True

    def run(data: np.ndarray, k: int, cov_type: str):
        return fit(
            data,
            init,
            n_components=k,
            covariance_type=cov_type,
            max_iter=max_iter,
            tol=tol,
            reg_covar=reg_covar,
            n_init=n_init,
            seed=seed,
            on_step=on_step,
            prior=None if prior is None else prior(data, k),
        )

    done = 0
    for cov_type in types:
        for k in range(1, k_max + 1):
            if should_cancel():
                cancelled = True
                break
            n_params = int(n_parameters(k, n_features, cov_type))
            reason = _skip_reason(X, k)
            if reason is not None:
                candidates.append(
                    KCandidate.not_fitted(cov_type, k, n_params, reason)
                )
            else:
                try:
                    result = run(X, k, cov_type)
                except (ValueError, np.linalg.LinAlgError) as error:
                    result, reason = None, f"K = {k} could not be fitted: {error}"
                if stopped:
                    cancelled = True
                    break
                heldout = np.nan
                if result is not None and _skip_reason(X_train, k) is None:
                    try:
                        train_result = run(X_train, k, cov_type)
                    except (ValueError, np.linalg.LinAlgError):
                        train_result = None
                    if stopped:
                        cancelled = True
                        break
                    if train_result is not None:
                        heldout = float(np.mean(score_samples(X_test, train_result.mixture)))
                if result is None:
                    candidates.append(
                        KCandidate.not_fitted(cov_type, k, n_params, reason)
                    )
                else:
                    raw_bic = float(bic(X, result.mixture))
                    raw_aic = float(aic(X, result.mixture))
                    degenerate = result.degenerate
                    candidates.append(
                        KCandidate(
                            covariance_type=cov_type,
                            n_components=k,
                            mixture=result.mixture,
                            mean_log_likelihood=float(result.mean_log_likelihood),
                            bic=np.nan if degenerate else raw_bic,
                            aic=np.nan if degenerate else raw_aic,
                            heldout_log_likelihood=heldout,
                            n_parameters=n_params,
                            converged=bool(result.converged),
                            degenerate_components=result.degenerate_components,
                            raw_bic=raw_bic,
                            raw_aic=raw_aic,
                            mean_log_posterior=float(result.mean_log_posterior),
                        )
                    )
            done += 1
            progress(done, total)
        if cancelled:
            break

    return KSelection(
        candidates=tuple(candidates),
        covariance_types=types,
        k_max=k_max,
        train_index=train_index,
        test_index=test_index,
        cancelled=cancelled,
    )
