"""The geometry of the 2-D view's reshape handles: an ellipse's axes on screen, and the drag rule.

Pure numpy, no Qt: :class:`~gmm_gui.ui.views.plot2d.PlotView2D` places its handles with
:func:`screen_axes` and turns a drag into a covariance with :func:`reshaped_covariance`, both
in the view's pixel metric (issue #11: on axes of very different scales, such as Old Faithful's
eruptions of 1.5-5 minutes against waits of 45-95 minutes, a drag of a few pixels changes the
Gaussian by a few pixels' worth along the handle's axis).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["principal_axes", "reshaped_covariance", "screen_axes"]


def principal_axes(
    cov: np.ndarray, previous: Sequence[np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The two principal semi-axes of a 2-D Gaussian's 1-sigma ellipse.

    ``mean + axes[i]`` lies on the 1-sigma ellipse (Mahalanobis distance exactly 1).

    Parameters
    ----------
    cov : array of shape (2, 2)
    previous : pair of arrays of shape (2,), optional
        The axes drawn before; each new axis is matched to the previous one it is most
        parallel to and points the same way, so handles do not jump when the lengths cross.

    Returns
    -------
    axes : array of shape (2, 2)
        Row ``i`` is semi-axis ``i`` (direction times length).
    lengths : array of shape (2,)
    """
    evals, evecs = np.linalg.eigh(0.5 * (cov + cov.T))
    evals = np.maximum(evals, 0.0)
    vecs = [evecs[:, 1], evecs[:, 0]]  # major first
    lens = [np.sqrt(evals[1]), np.sqrt(evals[0])]
    if previous is not None:
        p0 = previous[0] / (np.linalg.norm(previous[0]) or 1.0)
        if abs(vecs[1] @ p0) > abs(vecs[0] @ p0):
            vecs.reverse()
            lens.reverse()
        for i in range(2):
            if vecs[i] @ previous[i] < 0:
                vecs[i] = -vecs[i]
    else:
        for i in range(2):
            v = vecs[i]
            if v[0] < -1e-12 or (abs(v[0]) <= 1e-12 and v[1] < 0):
                vecs[i] = -v
    axes = np.stack([vecs[0] * lens[0], vecs[1] * lens[1]])
    return axes, np.array(lens)


def screen_axes(
    cov: np.ndarray,
    px_per_unit: Sequence[float] | np.ndarray,
    previous: Sequence[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The principal semi-axes of a 2-D Gaussian's 1-sigma ellipse as it is drawn on screen.

    On axes of different scales the ellipse's data-unit principal axes are not the ones the eye
    sees (they are not even perpendicular on screen); these are: the principal axes of the
    covariance in pixels, ``D cov D`` with ``D = diag(px_per_unit)``, mapped back to data units.
    ``mean + axes[i]`` still lies on the 1-sigma ellipse.

    Parameters
    ----------
    cov : array of shape (2, 2)
    px_per_unit : array of shape (2,)
        Screen pixels per data unit along x and y (positive).
    previous : pair of arrays of shape (2,), optional
        The semi-axes drawn before, in data units (see :func:`principal_axes`).

    Returns
    -------
    axes : array of shape (2, 2)
        Row ``i`` is semi-axis ``i``, in data units.
    lengths_px : array of shape (2,)
        Their lengths on screen, in pixels.
    """
    scale = np.asarray(px_per_unit, dtype=np.float64).reshape(2)
    cov_px = np.asarray(cov, dtype=np.float64) * np.outer(scale, scale)
    before = None if previous is None else [np.asarray(v) * scale for v in previous]
    axes_px, lengths_px = principal_axes(cov_px, before)
    return axes_px / scale, lengths_px


def reshaped_covariance(
    cov: np.ndarray,
    mean: np.ndarray,
    target: np.ndarray,
    axis: int,
    covariance_type: str,
    min_sd: np.ndarray,
    px_per_unit: Sequence[float] | np.ndarray | None = None,
    previous: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """The covariance a drag of a reshape handle to ``target`` gives (issue #11).

    Every rule reads the drag in the view's pixel metric mapped back to data units, so a drag
    of ``n`` pixels along the handle's axis changes the Gaussian by ``n`` pixels' worth of that
    axis, whatever the scales of the two axes:

    * ``diag``: the handle lies on coordinate axis ``axis``; the drag is read along that
      axis only, in its own data units: its variance becomes ``(target[axis] -
      mean[axis])**2``, the other is kept, off-diagonals stay 0 (no turning). A drift of the
      mouse along the other axis changes nothing.
    * ``spherical``: the same distance along ``axis`` is the one sd of both axes (round in
      data units).
    * ``full``, ``tied``: in pixels, the dragged principal semi-axis of the ellipse on screen
      (:func:`screen_axes`) goes to the mouse (it stretches and turns), the other keeps its
      length on screen, perpendicular on screen; the result is mapped back to data units (a
      tied mixture then takes it as the shared covariance, see
      :meth:`~gmm_gui.model.Mixture.with_component`).

    Parameters
    ----------
    cov : array of shape (2, 2)
        The covariance when the drag began.
    mean, target : arrays of shape (2,)
        The Gaussian's mean and where the handle is dragged to, in data units.
    axis : int
        ``diag``/``spherical``: the coordinate axis (0 or 1) the handle lies on; ``full``/
        ``tied``: the semi-axis dragged, as :func:`screen_axes` numbers them (with
        ``previous``).
    covariance_type : {"full", "diag", "spherical", "tied"}
    min_sd : array of shape (2,)
        The smallest sd a drag sets along each axis, in that axis' data units.
    px_per_unit : array of shape (2,), optional
        Screen pixels per data unit along x and y when the drag began; default 1 and 1 (the
        data-unit metric).
    previous : pair of arrays of shape (2,), optional
        The semi-axes drawn when the drag began (data units), so that ``axis`` names the
        handle dragged even after the two lengths crossed.

    Returns
    -------
    covariance : array of shape (2, 2)
    """
    cov = np.array(cov, dtype=np.float64)
    delta = np.asarray(target, dtype=np.float64) - np.asarray(mean, dtype=np.float64)
    floor = np.asarray(min_sd, dtype=np.float64)
    if covariance_type in ("diag", "spherical"):
        sd = max(abs(float(delta[axis])), float(floor[axis]))
        if covariance_type == "spherical":
            return sd**2 * np.eye(2)
        out = np.diag(np.diag(cov))
        out[axis, axis] = sd**2
        return out
    scale = np.ones(2) if px_per_unit is None else np.asarray(px_per_unit, dtype=np.float64)
    _, lengths = screen_axes(cov, scale, previous)
    other = float(lengths[1 - axis])
    delta_px = delta * scale
    length = float(np.hypot(*delta_px))
    u = delta_px / length if length >= 1e-300 else np.array([1.0, 0.0])
    length = max(length, float(np.max(floor * scale)))
    w = np.array([-u[1], u[0]])
    cov_px = length**2 * np.outer(u, u) + other**2 * np.outer(w, w)
    return cov_px / np.outer(scale, scale)
