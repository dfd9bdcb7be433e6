"""What a fitted mixture says about the data: hard labels, uncertainty, densities, agreement.

Everything here is a pure function of arrays; nothing is fitted. The adjusted Rand index is computed
from the contingency table of two labellings (Hubert & Arabie 1985), so that agreement between
known labels (sex, species, ...) and fitted clusters can be shown without scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp

if TYPE_CHECKING:
    from gmm_gui.model.mixture import Mixture

__all__ = [
    "adjusted_rand_index",
    "align_labels",
    "contingency_table",
    "density_1d",
    "density_grid",
    "hard_labels",
    "label_agreement",
    "PointBreakdown",
    "point_breakdown",
    "uncertainty",
]


def hard_labels(resp: np.ndarray) -> np.ndarray:
    """The component each point most likely belongs to.

    Parameters
    ----------
    resp : array of shape (n_samples, n_components)
        Responsibilities (rows sum to one).

    Returns
    -------
    labels : int array of shape (n_samples,)
        ``argmax`` of each row; ties go to the lower component index.
    """
    resp = np.asarray(resp, dtype=float)
    if resp.ndim != 2:
        raise ValueError(f"resp must have shape (n_samples, n_components), got {resp.shape}")
    return np.argmax(resp, axis=1)


def uncertainty(resp: np.ndarray) -> np.ndarray:
    """How unsure the mixture is about each point: 1 minus its largest responsibility.

    Parameters
    ----------
    resp : array of shape (n_samples, n_components)
        Responsibilities (rows sum to one).

    Returns
    -------
    uncertainty : array of shape (n_samples,)
        0 for a point that certainly belongs to one component, up to ``1 - 1/n_components`` for
        a point shared equally by all of them.
    """
    resp = np.asarray(resp, dtype=float)
    if resp.ndim != 2:
        raise ValueError(f"resp must have shape (n_samples, n_components), got {resp.shape}")
    return np.clip(1.0 - resp.max(axis=1), 0.0, 1.0)


def _component_log_pdf(points: np.ndarray, mixture: Mixture) -> np.ndarray:
    """log(weight_k) + log N(x | mean_k, cov_k), array of shape (n_points, n_components)."""
    weights = np.asarray(mixture.weights, dtype=float)
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    return _gaussian_log_pdf(points, mixture) + log_w[None, :]


def _gaussian_log_pdf(points: np.ndarray, mixture: Mixture) -> np.ndarray:
    """log N(x | mean_k, cov_k), array of shape (n_points, n_components)."""
    means = np.asarray(mixture.means, dtype=float)
    covs = np.asarray(mixture.covariances, dtype=float)
    n_features = means.shape[1]
    chol = np.linalg.cholesky(covs)  # (K, d, d), lower
    diff = points[None, :, :] - means[:, None, :]  # (K, m, d)
    # Solve L z = diff for every component at once: z = L^{-1} diff.
    chol_inv = np.linalg.inv(chol)  # (K, d, d); tiny d, so an explicit inverse is fine
    z = np.einsum("kde,kme->kmd", chol_inv, diff)
    maha = np.sum(z * z, axis=2)  # (K, m)
    log_det = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)  # (K,)
    log_pdf = -0.5 * (n_features * np.log(2.0 * np.pi) + log_det[:, None] + maha)
    return log_pdf.T


def density_1d(mixture: Mixture, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mixture density of 1-D data and each component's weighted share of it.

    Parameters
    ----------
    mixture : Mixture
        A mixture with ``n_features == 1``.
    xs : array of shape (n_points,)
        Where to evaluate.

    Returns
    -------
    total : array of shape (n_points,)
        The mixture density ``sum_k weight_k * N(x | mean_k, var_k)``.
    components : array of shape (n_points, n_components)
        ``weight_k * N(x | mean_k, var_k)``; the columns add up to ``total``.
    """
    if np.asarray(mixture.means).shape[1] != 1:
        raise ValueError("density_1d needs a mixture of 1-D Gaussians")
    xs = np.asarray(xs, dtype=float).reshape(-1)
    components = np.exp(_component_log_pdf(xs[:, None], mixture))
    return components.sum(axis=1), components


def density_grid(mixture: Mixture, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The mixture density of 2-D data on a rectangular grid, for a heat map or contours.

    Parameters
    ----------
    mixture : Mixture
        A mixture with ``n_features == 2``.
    xs : array of shape (n_x,)
        Grid positions along the first feature (columns of the result).
    ys : array of shape (n_y,)
        Grid positions along the second feature (rows of the result).

    Returns
    -------
    density : array of shape (n_y, n_x)
        ``density[i, j]`` is the mixture density at ``(xs[j], ys[i])``.
    """
    if np.asarray(mixture.means).shape[1] != 2:
        raise ValueError("density_grid needs a mixture of 2-D Gaussians")
    xs = np.asarray(xs, dtype=float).reshape(-1)
    ys = np.asarray(ys, dtype=float).reshape(-1)
    gx, gy = np.meshgrid(xs, ys)  # each (n_y, n_x)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    log_comp = _component_log_pdf(points, mixture)
    peak = np.max(log_comp, axis=1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    density = np.exp(peak[:, 0]) * np.sum(np.exp(log_comp - peak), axis=1)
    return density.reshape(len(ys), len(xs))


@dataclass(frozen=True)
class PointBreakdown:
    """Why a point gets the responsibilities it gets: the E-step's arithmetic for one point.

    For a point ``x`` and component ``k``: ``density[k] = N(x | mean_k, cov_k)``,
    ``weighted[k] = weight_k * density[k]``, ``mixture_density = sum_k weighted[k]`` and
    ``posterior[k] = weighted[k] / mixture_density`` (the responsibility an E-step gives).

    Attributes
    ----------
    density : array of shape (n_components,)
        Each Gaussian's density at the point.
    weighted : array of shape (n_components,)
        The density times the component's weight.
    posterior : array of shape (n_components,)
        The responsibilities; they sum to one even where every density underflows to zero
        (computed from logarithms).
    mixture_density : float
        The mixture's density at the point, ``weighted.sum()``.
    log_mixture_density : float
        Its natural logarithm, finite where the density itself underflows.
    """

    density: np.ndarray
    weighted: np.ndarray
    posterior: np.ndarray
    mixture_density: float
    log_mixture_density: float


def point_breakdown(x: np.ndarray, mixture: Mixture) -> PointBreakdown:
    """Each Gaussian's density, weighted density and posterior at one point.

    Parameters
    ----------
    x : array of shape (n_features,)
        The point.
    mixture : Mixture
        The Gaussians (any number of features).

    Returns
    -------
    PointBreakdown
        Arrays of shape (n_components,) and the mixture density at ``x``.
    """
    point = np.asarray(x, dtype=float).reshape(-1)
    n_features = np.asarray(mixture.means).shape[1]
    if point.shape != (n_features,):
        raise ValueError(f"x must have shape ({n_features},), got {np.shape(x)}")
    log_density = _gaussian_log_pdf(point[None, :], mixture)[0]  # (K,)
    with np.errstate(divide="ignore"):
        log_weighted = log_density + np.log(np.asarray(mixture.weights, dtype=float))
    log_total = float(logsumexp(log_weighted))
    posterior = np.exp(log_weighted - log_total)
    return PointBreakdown(
        density=np.exp(log_density),
        weighted=np.exp(log_weighted),
        posterior=posterior,
        mixture_density=float(np.exp(log_total)),
        log_mixture_density=log_total,
    )


def contingency_table(labels_a: np.ndarray, labels_b: np.ndarray) -> np.ndarray:
    """Counts of points per pair of labels.

    Parameters
    ----------
    labels_a, labels_b : arrays of shape (n_samples,)
        Two labellings of the same points; any hashable, sortable values (ints, strings).

    Returns
    -------
    table : int array of shape (n_labels_a, n_labels_b)
        ``table[i, j]`` counts the points with the i-th distinct value of ``labels_a`` (sorted)
        and the j-th distinct value of ``labels_b``.
    """
    a = np.asarray(labels_a).reshape(-1)
    b = np.asarray(labels_b).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"the labellings have different lengths: {a.shape[0]} and {b.shape[0]}")
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    n_a = int(ia.max()) + 1 if ia.size else 0
    n_b = int(ib.max()) + 1 if ib.size else 0
    table = np.zeros((n_a, n_b), dtype=np.int64)
    np.add.at(table, (ia.reshape(-1), ib.reshape(-1)), 1)
    return table


def adjusted_rand_index(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Agreement between two labellings, corrected for chance (Hubert & Arabie 1985).

    1 when the two partitions are the same up to renaming the labels, about 0 for independent
    labellings, negative when they agree less than chance would. Computed from the pair
    counts of the contingency table; the names of the labels do not matter.

    Parameters
    ----------
    labels_true : array of shape (n_samples,)
        Known groups (for example sex or species).
    labels_pred : array of shape (n_samples,)
        Clusters, for example :func:`hard_labels` of a fitted mixture.

    Returns
    -------
    ari : float
        The adjusted Rand index. When every pair is treated alike by both labellings (for
        example a single group in both, or each point alone in both) it is 1.
    """
    table = contingency_table(labels_true, labels_pred)
    n_samples = int(table.sum())
    # Pair counts, in exact integer arithmetic (Python ints never overflow).
    sum_squares = int(np.sum(table.astype(object) ** 2))
    rows = table.sum(axis=1).astype(object)
    cols = table.sum(axis=0).astype(object)
    together_both = sum_squares - n_samples  # ordered pairs in the same group in both
    together_true = int(np.sum(rows**2)) - n_samples
    together_pred = int(np.sum(cols**2)) - n_samples
    only_true = together_true - together_both
    only_pred = together_pred - together_both
    apart_both = n_samples * n_samples - n_samples - together_both - only_true - only_pred
    if only_true == 0 and only_pred == 0:
        return 1.0
    numerator = 2 * (together_both * apart_both - only_true * only_pred)
    denominator = (together_both + only_true) * (only_true + apart_both) + (
        together_both + only_pred
    ) * (only_pred + apart_both)
    return float(numerator / denominator)


def align_labels(reference: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Rename the values of ``labels`` to best match ``reference`` (Hungarian matching).

    Cluster numbers are arbitrary: k-means may call "cluster 0" what EM calls "component 1".
    This finds the one-to-one renaming that maximises the number of points on which the two
    labellings agree (:func:`scipy.optimize.linear_sum_assignment` on the contingency table).

    Parameters
    ----------
    reference : int array of shape (n_samples,)
        Labels to match, e.g. EM's hard labels, values ``0 .. n_ref - 1``.
    labels : int array of shape (n_samples,)
        Labels to rename, e.g. k-means labels (any integers).

    Returns
    -------
    aligned : int array of shape (n_samples,)
        ``labels`` renamed. A label with no partner (when ``labels`` has more distinct values
        than ``reference``) gets a fresh number from ``max(reference) + 1`` upwards.
    """
    ref = np.asarray(reference).reshape(-1).astype(np.int64)
    lab = np.asarray(labels).reshape(-1).astype(np.int64)
    if ref.shape != lab.shape:
        raise ValueError(
            f"the labellings have different lengths: {ref.shape[0]} and {lab.shape[0]}"
        )
    if ref.size == 0:
        return lab.copy()
    if ref.min() < 0:
        raise ValueError("reference labels must be non-negative integers")
    n_ref = int(ref.max()) + 1
    values, lab_index = np.unique(lab, return_inverse=True)  # only the labels that occur
    lab_index = lab_index.reshape(-1)
    table = np.zeros((values.size, n_ref), dtype=np.int64)
    np.add.at(table, (lab_index, ref), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    mapping = np.full(values.size, -1, dtype=np.int64)
    mapping[rows] = cols
    unmatched = np.flatnonzero(mapping < 0)
    mapping[unmatched] = n_ref + np.arange(unmatched.size)
    return mapping[lab_index]


def label_agreement(reference: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of points on which two labellings agree after :func:`align_labels`.

    Parameters
    ----------
    reference, labels : int arrays of shape (n_samples,)

    Returns
    -------
    agreement : float
        In [0, 1]; 1 when the two are the same partition.
    """
    ref = np.asarray(reference).reshape(-1)
    if ref.size == 0:
        return 1.0
    return float(np.mean(align_labels(ref, labels) == ref))
