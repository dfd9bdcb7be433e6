"""A slider over the history of half-steps: drag it to go back and forth without recomputing."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

__all__ = ["Timeline"]


class Timeline(QWidget):
    """History slider with a caption ("iteration 3, after the M-step · 7 of 12").

    Signals
    -------
    index_requested(int)
        The user moved the slider to this history index.
    """

    index_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        title = QLabel("History:")
        title.setToolTip("Every half-step is kept: drag to look back at any of them.")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timeline_slider")
        self.slider.setRange(0, 0)
        self.slider.setPageStep(2)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setToolTip(
            "Every half-step computed so far (start, E, M, E, M, ...). Drag to go back and forth;\n"
            "nothing is recomputed. Editing the start is possible at the far left."
        )
        self.caption = QLabel("")
        self.caption.setMinimumWidth(260)
        self.caption.setToolTip("Where in the history the plot is.")
        layout.addWidget(title)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.caption)
        self.slider.valueChanged.connect(self._on_value)

    @property
    def index(self) -> int:
        """The slider's position."""
        return self.slider.value()

    @property
    def count(self) -> int:
        """Number of states in the history."""
        return self.slider.maximum() + 1

    def set_position(self, index: int, count: int, text: str) -> None:
        """Show ``index`` of ``count`` states with a caption (no signal emitted)."""
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(index)
        self.slider.setTickInterval(max(1, count // 20))
        self.slider.blockSignals(False)
        self.caption.setText(f"{text}  ·  {index + 1} of {count}")

    @Slot(int)
    def _on_value(self, value: int) -> None:
        self.index_requested.emit(int(value))
