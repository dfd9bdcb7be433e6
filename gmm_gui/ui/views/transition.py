"""Transitions between two snapshots: parameters as drawn, the frame clock, colour tweening.

A transition glides over ``animation_ms`` (smooth-step easing, a ``QTimer`` owned by the view at
about 60 frames per second). Means, covariances and weights are interpolated linearly (a convex
combination of positive definite matrices is positive definite). Point colours are interpolated
in OKLab, which is the same as interpolating the responsibilities and blending again, for up to
:data:`COLOR_TWEEN_MAX_POINTS` points; above that a per-frame re-blend would cost more than a
frame, so the old and new point images are each rasterised once and cross-faded by ``QPainter``
(a mix in sRGB, not OKLab, while the fade runs; exact again when it ends).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.ui import colors
from gmm_gui.ui.views.points import PointCloudItem

__all__ = [
    "COLOR_TWEEN_MAX_POINTS",
    "DEFAULT_ANIMATION_MS",
    "ColorTween",
    "FrameClock",
    "Params",
]

#: Default duration of a transition between two snapshots.
DEFAULT_ANIMATION_MS = 250
#: Up to this many points the colours are re-blended every frame; above, cross-faded.
COLOR_TWEEN_MAX_POINTS = 100_000
_FRAME_MS = 16


@dataclass(frozen=True)
class Params:
    """Component parameters as drawn (possibly between two snapshots).

    Attributes
    ----------
    weights : array of shape (n_components,)
    means : array of shape (n_components, n_features)
    covariances : array of shape (n_components, n_features, n_features)
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    @classmethod
    def of(cls, mixture: object) -> Params | None:
        """The parameters of a :class:`~gmm_gui.model.Mixture` (``None`` for ``None``)."""
        if mixture is None:
            return None
        return cls(
            np.array(mixture.weights, dtype=np.float64),
            np.array(mixture.means, dtype=np.float64),
            np.array(mixture.covariances, dtype=np.float64),
        )

    @property
    def n_components(self) -> int:
        """Number of components."""
        return int(self.weights.shape[0])

    def same_shape(self, other: Params | None) -> bool:
        """Whether ``other`` has as many components and features (so the two can be tweened)."""
        return other is not None and self.means.shape == other.means.shape

    def lerp(self, other: Params, s: float) -> Params:
        """``(1 - s) * self + s * other``, element-wise."""
        return Params(
            self.weights + s * (other.weights - self.weights),
            self.means + s * (other.means - self.means),
            self.covariances + s * (other.covariances - self.covariances),
        )

    def with_component(self, k: int, mean: np.ndarray, cov: np.ndarray) -> Params:
        """A copy with component ``k``'s mean and covariance replaced."""
        means = self.means.copy()
        covs = self.covariances.copy()
        means[k] = mean
        covs[k] = cov
        return Params(self.weights.copy(), means, covs)

    def equals(self, other: Params | None) -> bool:
        """Exact equality of all arrays."""
        return (
            other is not None
            and self.same_shape(other)
            and np.array_equal(self.weights, other.weights)
            and np.array_equal(self.means, other.means)
            and np.array_equal(self.covariances, other.covariances)
        )


def _smoothstep(t: float) -> float:
    t = min(max(t, 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


class FrameClock:
    """The clock of a transition: a ``QTimer`` at about 60 frames per second, eased progress.

    Each tick calls ``on_frame(s)`` with the smooth-stepped progress ``s`` in [0, 1); the tick
    that reaches the end stops the timer first and then calls ``on_frame(1.0)``.

    Parameters
    ----------
    parent : QObject
        Owner of the timer (the view: the timer dies with it).
    on_frame : callable (s: float) -> None
    """

    def __init__(self, parent: QObject, on_frame: Callable[[float], None]) -> None:
        self.duration_ms = DEFAULT_ANIMATION_MS
        self._on_frame = on_frame
        self._timer = QTimer(parent)
        self._timer.setInterval(_FRAME_MS)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()

    def start(self) -> None:
        """Start (or restart) the transition's clock at 0."""
        self._clock.start()
        self._timer.start()

    def stop(self) -> None:
        """Stop ticking (no call of ``on_frame``)."""
        self._timer.stop()

    def is_active(self) -> bool:
        """Whether a transition is running."""
        return self._timer.isActive()

    def _tick(self) -> None:
        t = self._clock.elapsed() / max(self.duration_ms, 1)
        if t >= 1.0:
            self._timer.stop()
            self._on_frame(1.0)
        else:
            self._on_frame(_smoothstep(t))


class ColorTween:
    """The point colours: those shown, and the two ends of a running transition.

    Colours are kept as OKLab mixes, arrays of shape (3, n_samples) (see
    :func:`gmm_gui.ui.colors.blend_mix`), and drawn as packed ``0xAARRGGBB`` words.
    """

    def __init__(self) -> None:
        self.shown: np.ndarray | None = None
        self.start: np.ndarray | None = None
        self.target: np.ndarray | None = None
        self._delta: np.ndarray | None = None
        self._fade = False
        self._argb_memo: list[tuple[np.ndarray, np.ndarray]] = []
        # (mix, packed colours) of every point in neutral grey, for the data shown
        self._neutral: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def running(self) -> bool:
        """Whether the colours change during the transition in progress."""
        return self.start is not None

    def mix_for(
        self, snapshot: Snapshot, previous: Snapshot | None, shown_mix: np.ndarray | None
    ) -> np.ndarray:
        """The colours of ``snapshot``'s points, shape (3, n_samples), reusing what it can."""
        n = len(snapshot.X)
        resp = snapshot.resp
        if (
            previous is not None
            and shown_mix is not None
            and self.target is not None
            and resp is previous.resp
            and self.target.shape[1] == n
        ):
            return self.target  # same responsibilities object: same colours
        if resp is None:
            # Every point grey (a start, before any E-step): made once per data set, since a
            # million points take tens of milliseconds to convert on the UI thread.
            cached_neutral = self._neutral
            if cached_neutral is None or cached_neutral[0].shape[1] != n:
                neutral = colors.blend_mix(np.ones((1, 1)), np.array([colors.NEUTRAL]))
                mix = np.repeat(neutral, n, axis=1)
                argb = np.full(n, colors.mix_to_argb32(neutral)[0], dtype=np.uint32)
                mix.setflags(write=False)
                argb.setflags(write=False)
                cached_neutral = self._neutral = (mix, argb)
            mix, argb = cached_neutral
            self._argb_memo = [(mix, argb), *self._argb_memo[:1]]
            return mix
        cached = colors.BLEND_CACHE.lookup(resp)
        if cached is not None:  # blended in the worker thread that computed it
            mix, argb = cached
            self._argb_memo = [(mix, argb), *self._argb_memo[:1]]
            return mix
        resp = np.asarray(resp)
        return colors.blend_mix(resp, colors.component_colors(resp.shape[1]))

    def argb(self, mix: np.ndarray) -> np.ndarray:
        """Packed colours of ``mix``, remembered for the last two mixes (by identity).

        A transition converts the colours on screen and the target's; the colours on screen
        were the previous target, so each conversion (about 30 ms at a million points) is done
        once, not twice, on the UI thread.
        """
        for key, argb in self._argb_memo:
            if key is mix:
                return argb
        argb = colors.mix_to_argb32(mix)
        self._argb_memo = [(mix, argb), *self._argb_memo[:1]]
        return argb

    def current(self, transition_running: bool, s: float) -> np.ndarray | None:
        """The colours on screen right now (between the ends at progress ``s``)."""
        if transition_running and self.start is not None:
            if self._delta is not None:
                return self.start + s * self._delta
            return self.start + s * (self.target - self.start)
        return self.shown

    def begin(
        self,
        points: PointCloudItem,
        target: np.ndarray,
        shown_mix: np.ndarray | None,
        animate: bool,
        overridden: bool,
    ) -> None:
        """Head for ``target``: set the points' colours now or prepare the tween from ``shown_mix``.

        Parameters
        ----------
        points : PointCloudItem
        target : array of shape (3, n_samples)
        shown_mix : array of shape (3, n_samples), or None
            The colours on screen (``None`` for new data).
        animate : bool
            Tween the colours (when they change).
        overridden : bool
            The points keep colours given by an analysis tool: only remember the target.
        """
        self.target = target
        changes = shown_mix is not None and not (
            target is shown_mix or np.array_equal(target, shown_mix)
        )
        self.start = shown_mix if (animate and changes) else None
        self._fade = False
        if overridden:
            # the points keep the colours they were given; the blend is kept for later
            self.start = None
            self.shown = target
        elif self.start is not None:
            if target.shape[1] > COLOR_TWEEN_MAX_POINTS:
                self._fade = True
                points.set_crossfade(self.argb(self.start), self.argb(target), 0.0)
                self._delta = None
            else:
                self._delta = target - self.start
        else:
            if changes or shown_mix is None:
                points.set_colors(self.argb(target))
            self.shown = target

    def apply(self, points: PointCloudItem, s: float) -> None:
        """Draw the colours at progress ``s`` of the transition (nothing if they do not change)."""
        if self.start is None:
            return
        if self._fade:
            points.set_fade(s)
        elif s >= 1.0:
            points.set_colors(self.argb(self.target))
        else:
            mix = self.start + np.float32(s) * self._delta
            points.set_colors(self.argb(mix))

    def end(self, points: PointCloudItem) -> None:
        """The transition is over: its target is what is shown."""
        if self._fade:
            points.set_colors(points.colors)
        self.shown = self.target
        self.start = self._delta = None
        self._fade = False

    def stop(self, points: PointCloudItem) -> None:
        """Stop the colour part of a running transition at its end (an override comes)."""
        points.set_colors(points.colors)
        self.start = self._delta = None
        self._fade = False
        self.shown = self.target
