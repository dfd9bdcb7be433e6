"""The EM toolbar: the step and run actions, the start's K, method and seed, and the speed."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSlider, QSpinBox, QToolBar, QWidget

from gmm_gui.controller.settings import StartOptions
from gmm_gui.controller.stepper import START_METHODS
from gmm_gui.resources import Sample
from gmm_gui.ui.colors import PALETTE

__all__ = ["K_BOX_MAX", "EmToolbar"]

#: The largest K the K box takes when typed: one Gaussian per colour of the palette (beyond
#: that, colours repeat). The box grows past it to show the Gaussians on screen (clicked in,
#: imported, however many: the table and the weight labels number them all), so that New start
#: and the Analyse tools use the K the user sees.
K_BOX_MAX = len(PALETTE)


def _label(text: str, tip: str) -> QLabel:
    label = QLabel(text)
    label.setToolTip(tip)
    return label


class EmToolbar(QToolBar):
    """The window's EM toolbar.

    Parameters
    ----------
    actions : mapping of str to QAction
        The window's actions by name (``open``, ``step_e``, ``step_m``, ``next_iteration``,
        ``play``, ``run``, ``reset`` are placed here).
    parent : QWidget, optional

    Signals
    -------
    start_options_changed(object)
        The K box, the start method or the seed changed (the new :class:`StartOptions`).
    speed_changed(float)
        The play speed, in half-steps per second.
    """

    start_options_changed = Signal(object)
    speed_changed = Signal(float)

    def __init__(self, actions: Mapping[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__("EM", parent)
        self.setObjectName("em_toolbar")
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addAction(actions["open"])
        self.addSeparator()
        for name in ("step_e", "step_m", "next_iteration", "play", "run", "reset"):
            self.addAction(actions[name])
        self._fix_play_width(actions["play"])
        self.addSeparator()
        self._build_start()
        self.addSeparator()
        self._build_speed()

    def _fix_play_width(self, play: QAction) -> None:
        # Play and Pause share a button: as wide as the wider, so the toolbar does not shift
        button = self.widgetForAction(play)
        text = play.text()
        widths = []
        for label in ("&Play", "&Pause"):
            play.setText(label)
            widths.append(button.sizeHint().width())
        play.setText(text)
        button.setMinimumWidth(max(widths))

    def _build_start(self) -> None:
        self.addWidget(_label(" K ", "Number of Gaussians (K) in a new random start."))
        self.k_spin = QSpinBox()
        self.k_spin.setObjectName("k_spin")
        self.k_spin.setRange(1, K_BOX_MAX)
        self.k_spin.setValue(2)
        self.k_spin.setToolTip(
            f"Number of Gaussians (K) in a new random start (up to {K_BOX_MAX}, one per "
            "colour; more when more are on the plot)."
        )
        self.addWidget(self.k_spin)
        self.addWidget(_label(" Start ", "How a new start is drawn."))
        self.method_combo = QComboBox()
        self.method_combo.setObjectName("method_combo")
        for method, label in START_METHODS:
            self.method_combo.addItem(label, method)
        self.method_combo.setCurrentIndex(self.method_combo.findData("kmeans++"))
        self.method_combo.setToolTip(
            "How a new start is drawn: Random (means anywhere in the data's range), k-means++ "
            "(means spread over the data), From data (means at random data points)."
        )
        self.addWidget(self.method_combo)
        self.addWidget(_label(" Seed ", "Seed of the random start."))
        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("seed_spin")
        self.seed_spin.setRange(0, 2_147_483_647)
        self.seed_spin.setValue(0)
        self.seed_spin.setFixedWidth(90)
        self.seed_spin.setToolTip(
            "Seed of the random start: the same seed gives the same start again."
        )
        self.addWidget(self.seed_spin)
        self.new_start_button = QPushButton("New start")
        self.new_start_button.setObjectName("new_start_button")
        self.new_start_button.setToolTip(
            "Draw new starting Gaussians with this K, start method and seed (undoable)."
        )
        self.addWidget(self.new_start_button)
        self.replay_button = QPushButton("Replay this start")
        self.replay_button.setObjectName("replay_button")
        self.replay_button.setToolTip(
            "Go back to the start and play EM again from it: after dragging a start mean, this "
            "shows where EM ends from there (perhaps another local maximum)."
        )
        self.addWidget(self.replay_button)
        self.k_spin.valueChanged.connect(self._on_start_options)
        self.method_combo.currentIndexChanged.connect(self._on_start_options)
        self.seed_spin.valueChanged.connect(self._on_start_options)

    def _build_speed(self) -> None:
        self.addWidget(_label(" Speed ", "Play speed: half-steps per second."))
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setObjectName("speed_slider")
        self.speed_slider.setRange(1, 40)  # quarter half-steps per second
        self.speed_slider.setValue(8)
        self.speed_slider.setFixedWidth(90)
        self.speed_slider.setToolTip("Play speed: half-steps per second (0.25 to 10).")
        self.addWidget(self.speed_slider)
        self.speed_label = QLabel()
        self.speed_label.setToolTip("Play speed in half-steps per second.")
        self.addWidget(self.speed_label)
        self.speed_slider.valueChanged.connect(self._on_speed)
        self._on_speed(self.speed_slider.value())

    # ------------------------------------------------------------------ reading and setting
    @property
    def start_method(self) -> str:
        """The engine name of the start method chosen."""
        return str(self.method_combo.currentData())

    def start_options(self) -> StartOptions:
        """K, start method and seed as the toolbar shows them."""
        return StartOptions(self.k_spin.value(), self.start_method, self.seed_spin.value())

    @property
    def speed(self) -> float:
        """Play speed in half-steps per second."""
        return self.speed_slider.value() / 4.0

    def use_start_of(self, sample: Sample) -> None:
        """Show the sample's default start method and seed."""
        self.method_combo.setCurrentIndex(self.method_combo.findData(sample.start_method))
        self.seed_spin.setValue(sample.seed)

    def follow_components(self, n_components: int) -> None:
        """K follows the Gaussians on screen (added, removed, imported, a loaded run), so the
        next random start and the Analyse tools use the K the user sees."""
        if n_components and self.k_spin.value() != n_components:
            self.k_spin.setMaximum(max(K_BOX_MAX, n_components))
            self.k_spin.setValue(n_components)

    def set_enabled_for(self, has_data: bool, has_mixture: bool) -> None:
        """New start needs data; Replay needs Gaussians."""
        self.new_start_button.setEnabled(has_data)
        self.replay_button.setEnabled(has_mixture)

    @Slot()
    def _on_start_options(self) -> None:
        self.start_options_changed.emit(self.start_options())

    @Slot(int)
    def _on_speed(self, value: int) -> None:
        speed = value / 4.0
        self.speed_label.setText(f" {speed:g}/s ")
        self.speed_changed.emit(speed)
