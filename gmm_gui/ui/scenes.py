"""The lecture's scenes: data, start, settings and a few actions, one click (or ``--scene``) away.

Each :class:`Scene` is declared in :data:`SCENES`: a bundled sample, the start (placed by hand or
drawn by a method and seed), the :class:`~gmm_gui.controller.settings.ModelSettings`, the actions
that follow the opening (run to convergence, many restarts keeping the best, samples drawn from
the fit) and one short caption saying what to watch. :class:`ScenePlayer` plays them in the
window: it sets the settings, opens the data with the start, shows the caption above the hint
and runs the actions in order, waiting for each one that works in the background.

The views draw components in the app's palette (blue, orange, red, ...); they offer no way to
set other colours for one scene, so ``three-in-2d`` shows the palette's first three.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from gmm_gui.controller.settings import ModelSettings
from gmm_gui.controller.workspace import Workspace
from gmm_gui.model import Mixture
from gmm_gui.resources import Sample, get_sample

__all__ = [
    "SCENES",
    "DrawSamples",
    "Restarts",
    "RunToConvergence",
    "Scene",
    "ScenePlayer",
    "get_scene",
    "make_caption",
    "scene_names",
]


@dataclass(frozen=True)
class RunToConvergence:
    """Run EM from the start until it converges."""


@dataclass(frozen=True)
class Restarts:
    """Open the Restarts dock, run EM from ``n_starts`` starts and keep the best (Use best)."""

    n_starts: int = 20
    kind: str = "random_from_data"
    seed: int = 0


@dataclass(frozen=True)
class DrawSamples:
    """Draw points from the mixture shown over the data (as many as the data when ``n`` is
    ``None``)."""

    n: int | None = None
    seed: int = 0


SceneAction = RunToConvergence | Restarts | DrawSamples


@dataclass(frozen=True)
class Scene:
    """One scene of the lecture.

    Attributes
    ----------
    name : str
        The name on the command line (``gmm-gui --scene NAME``).
    title : str
        The Scenes menu's entry.
    caption : str
        One short paragraph: what to watch (plain text).
    sample : str
        Key of the bundled sample (:func:`gmm_gui.resources.get_sample`); its columns are fitted.
    n_components : int
        K.
    start_means : tuple of tuple of float, optional
        A start placed by hand: one mean per component, equal weights and the same standard
        deviation ``start_sd`` for all; else the start is drawn by ``start_method`` and ``seed``.
    settings : ModelSettings
    actions : tuple
        What happens after the data open, in order.
    """

    name: str
    title: str
    caption: str
    sample: str
    n_components: int
    start_means: tuple[tuple[float, ...], ...] | None = None
    start_sd: float | None = None
    start_method: str = "kmeans++"
    seed: int = 0
    settings: ModelSettings = field(default_factory=ModelSettings)
    actions: tuple[SceneAction, ...] = ()

    def start_mixture(self) -> Mixture | None:
        """The start placed by hand (``None`` when it is drawn by ``start_method``)."""
        if self.start_means is None or self.start_sd is None:
            return None
        means = np.array(self.start_means, dtype=float)
        n_components, n_features = means.shape
        cov = np.eye(n_features) * self.start_sd**2
        return Mixture(
            np.full(n_components, 1.0 / n_components), means, np.repeat(cov[None], n_components, 0)
        )


SCENES: tuple[Scene, ...] = (
    Scene(
        "heights",
        "Heights: who claims the outlier?",
        "Two Gaussians near 175 and 180 cm (sd 5) over 200 heights. Press E and watch the "
        "far-left point (57 cm, a data-entry error): both Gaussians find it extremely unlikely, "
        "yet it goes almost entirely to the nearer, blue one. Hover it to see the numbers.",
        "davis",
        2,
        start_means=((175.0,), (180.0,)),
        start_sd=5.0,
    ),
    Scene(
        "bad-start",
        "A bad start: EM crawls",
        "Both Gaussians start left of every height (50 and 52 in). Press C: orange, the nearer, "
        "grows wide and takes over 90% of the points while blue keeps a narrow sliver, and EM "
        "stops where the log-posterior (the prior is on: no Gaussian can collapse) climbs by "
        "less than tol per step. It has slowed down, not arrived: set tol to 1e-10 and press C "
        "again, and it crawls on for hundreds of iterations to another split.",
        "galton",
        2,
        start_means=((50.0,), (52.0,)),
        start_sd=3.0,
        settings=ModelSettings(prior=True),
    ),
    Scene(
        "restarts",
        "Restarts: many starts, keep the best",
        "EM from 20 starts at random data points, three Gaussians each. The Restarts dock ranks "
        "the maxima they reached by training log-likelihood; the best is loaded and shown. "
        "Where EM ends depends on where it starts.",
        "faithful",
        3,
        actions=(Restarts(n_starts=20, kind="random_from_data", seed=0),),
    ),
    Scene(
        "three-in-2d",
        "Three Gaussians in 2-D",
        "Three Gaussians on iris petals, started from random responsibilities (all near the "
        "middle). Press Space and watch the points' colours blend and then separate while the "
        "contours move out to the three clusters.",
        "iris",
        3,
        start_method="random",
        seed=0,
    ),
    Scene(
        "sampling",
        "Sampling from the fitted model",
        "Old Faithful fitted with two Gaussians; the crosses are as many new points drawn from "
        "the fitted mixture. A good model makes points that look like the data.",
        "faithful",
        2,
        actions=(RunToConvergence(), DrawSamples()),
    ),
)


def scene_names() -> tuple[str, ...]:
    """The names of :data:`SCENES`, in order."""
    return tuple(scene.name for scene in SCENES)


def get_scene(name: str) -> Scene:
    """The scene called ``name``.

    Raises
    ------
    KeyError
        With a sentence listing the scenes, for an unknown name.
    """
    for scene in SCENES:
        if scene.name == name:
            return scene
    raise KeyError(f"no scene {name!r}; the scenes are: {', '.join(scene_names())}")


class SceneWindow(Protocol):
    """What a scene needs of the window (the main window has it all)."""

    workspace: Workspace
    analysis_actions: dict[str, Any]
    analysis_tools: dict[str, QObject]

    def open_file(self, path: Any, columns: Any = ..., **kwargs: Any) -> bool: ...  # noqa: D102

    def use_start_of(self, sample: Sample) -> None: ...  # noqa: D102


class ScenePlayer(QObject):
    """Plays a scene in the window: settings, data and start, caption, then its actions.

    Parameters
    ----------
    window : the main window
        Its workspace, ``open_file``, ``use_start_of`` and Analyse tools are used.
    caption : QLabel
        Where the scene's caption is shown (cleared when other data are opened).
    parent : QObject, optional

    Signals
    -------
    finished(str)
        The scene's actions are all done (its name).
    """

    finished = Signal(str)

    def __init__(self, window: SceneWindow, caption: QLabel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = window
        self.caption = caption
        self.scene: Scene | None = None
        self._pending: list[SceneAction] = []
        self._opening = False
        self._disconnect: Callable[[], None] | None = None
        window.workspace.data_changed.connect(self._on_data_changed)

    @property
    def busy(self) -> bool:
        """Actions of the scene are still to run or running."""
        return self._disconnect is not None or bool(self._pending)

    def play(self, name: str, settings: dict[str, Any] | None = None) -> Scene:
        """Set up scene ``name`` and start its actions.

        ``settings`` (field names of :class:`ModelSettings`, e.g. ``{"tol": 1e-10}``) apply
        over the scene's own settings.

        Raises
        ------
        KeyError
            For an unknown name (the sentence lists the scenes).
        """
        scene = get_scene(name)
        self._stop_waiting()
        self._pending = []
        window, ws = self._window, self._window.workspace
        ws.session.pause()
        sample = get_sample(scene.sample)
        chosen = replace(scene.settings, **settings) if settings else scene.settings
        ws.set_settings(chosen)  # before the data, so the file opens with them
        # The toolbar's method and seed: the start drawn now, and New start's afterwards.
        window.use_start_of(replace(sample, start_method=scene.start_method, seed=scene.seed))
        self._opening = True
        try:
            opened = window.open_file(
                sample.path,
                sample.columns,
                n_components=scene.n_components,
                title=f"{sample.title} (scene {scene.name})",
                interactive=False,
                start=scene.start_mixture(),
            )
        finally:
            self._opening = False
        if not opened:
            raise RuntimeError(f"the data of scene {scene.name!r} could not be opened")
        self.scene = scene
        self.caption.setText(scene.caption)
        self.caption.setVisible(True)
        self._pending = list(scene.actions)
        self._next()
        return scene

    # ------------------------------------------------------------------ actions
    def _next(self) -> None:
        while self._pending:
            action = self._pending.pop(0)
            if isinstance(action, RunToConvergence):
                session = self._window.workspace.session
                session.run_to_convergence()
                if session.busy:
                    self._wait_idle()
                    return
            elif isinstance(action, DrawSamples):
                self._draw_samples(action)
            elif isinstance(action, Restarts):
                self._restarts(action)
                return
        if self.scene is not None and self._disconnect is None:
            self.finished.emit(self.scene.name)

    def _wait_idle(self) -> None:
        ws = self._window.workspace

        def check(_state: object = None) -> None:
            if not ws.session.busy:
                self._stop_waiting()
                self._next()

        ws.state_changed.connect(check)
        self._disconnect = lambda: ws.state_changed.disconnect(check)

    def _draw_samples(self, action: DrawSamples) -> None:
        explore = self._window.analysis_tools["explore"]
        stepper = self._window.workspace.session.stepper
        n = action.n if action.n is not None else (0 if stepper is None else stepper.n_samples)
        explore.draw_samples(int(n), seed=action.seed)  # type: ignore[attr-defined]

    def _restarts(self, action: Restarts) -> None:
        self._window.analysis_actions["restarts"].trigger()
        dock: Any = self._window.analysis_tools["restarts"]
        dock.n_spin.setValue(action.n_starts)
        dock.kind_combo.setCurrentIndex(dock.kind_combo.findData(action.kind))
        dock.seed_spin.setValue(action.seed)

        def on_result(result: object) -> None:
            self._stop_waiting()
            if result is not None and result.runs:  # type: ignore[attr-defined]
                dock.use_best()
                self._next()
            else:
                self._pending = []  # cleared (other data) or no runs (cancelled)

        dock.result_changed.connect(on_result)
        self._disconnect = lambda: dock.result_changed.disconnect(on_result)
        dock.run()

    def _stop_waiting(self) -> None:
        disconnect, self._disconnect = self._disconnect, None
        if disconnect is not None:
            disconnect()

    def _on_data_changed(self, _dataset: object = None) -> None:
        """Other data opened: the scene is over, its caption goes."""
        if self._opening:
            return
        self._stop_waiting()
        self._pending = []
        self.scene = None
        self.caption.setText("")
        self.caption.setVisible(False)


def make_caption(parent: QWidget | None = None) -> QLabel:
    """The label a scene's caption is shown in (plain text, hidden until a scene plays)."""
    label = QLabel("", parent)
    label.setObjectName("scene_caption")
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet(
        "background: #e8f1fb; color: #123; border: 1px solid #9cc0e6; border-radius: 3px; "
        "padding: 4px 8px; margin: 2px 6px;"
    )
    label.setToolTip("The scene playing: what to watch.")
    label.setVisible(False)
    return label
