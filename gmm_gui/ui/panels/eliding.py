"""A one-line label that shortens its text at a word boundary, with "…", when it is too narrow.

A plain :class:`QLabel` without word wrap draws what fits and cuts the rest anywhere, mid-word
and without a sign that something is missing ("Iteration 2 · M-step: Gauss"). This one shows
the whole text when it fits and otherwise the most words that fit followed by "…"; its tooltip
then starts with the whole text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from gmm_gui.ui.dialogs.messages import plain_tooltip

__all__ = ["ELLIPSIS", "ElidingLabel", "elide_words"]

ELLIPSIS = "…"
#: Left off before the ellipsis when the words shown end with them ("Iteration 2 ·…").
_TRAILING = " ·:,;—-"
#: Pixels kept free beside the measured text (the label's layout may round up).
_SLACK = 2


def elide_words(segments: Sequence[tuple[str, QFont]], width: float) -> list[str]:
    """The most whole words of ``segments`` that fit in ``width`` pixels with "…" after them.

    Parameters
    ----------
    segments : sequence of (text, font), length n
        Runs of plain text, each drawn in its own font (a bold caption, then the rest).
    width : float
        The room, in pixels.

    Returns
    -------
    shown : list of str, length n
        The text of each run as shown: all of it when everything fits; otherwise the words
        that fit, the last shown run ending with "…" and the runs after it empty. When not even
        the first word fits, that word is cut with "…" (never without it).
    """
    texts = [t for t, _ in segments]
    metrics = [QFontMetricsF(f) for _, f in segments]

    def need(parts: Sequence[str]) -> float:
        return sum(m.horizontalAdvance(p) for m, p in zip(metrics, parts, strict=True))

    if need(texts) <= width:
        return texts
    # the words, each with the run it belongs to, and where each word ends in its run
    ends: list[tuple[int, int]] = []
    for i, text in enumerate(texts):
        at = 0
        for word in text.split(" "):
            at += len(word)
            if word:
                ends.append((i, at))
            at += 1

    def cut(n_words: int) -> list[str]:
        i, end = ends[n_words - 1]
        out = [*texts[:i], texts[i][:end], *([""] * (len(texts) - i - 1))]
        while out[i] and out[i][-1] in _TRAILING:
            out[i] = out[i][:-1]
        if not out[i] and i > 0:  # nothing left of this run: the ellipsis ends the one before
            out[i - 1] = out[i - 1].rstrip(_TRAILING)
            return [*out[: i - 1], out[i - 1] + ELLIPSIS, *out[i:]]
        out[i] += ELLIPSIS
        return out

    lo, hi = 0, len(ends)  # cut(lo) fits (lo = 0: nothing does), cut(hi) may not
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if need(cut(mid)) <= width:
            lo = mid
        else:
            hi = mid - 1
    if lo > 0:
        return cut(lo)
    if not ends:
        return [""] * len(texts)
    i, end = ends[0]
    first = metrics[i].elidedText(texts[i][:end], Qt.TextElideMode.ElideRight, width)
    return [*([""] * i), first or ELLIPSIS, *([""] * (len(texts) - i - 1))]


class ElidingLabel(QLabel):
    """A label of one line whose text is shortened at a word boundary, with "…", to fit.

    Its size hint is the width of the whole text; it may be squeezed down to
    ``minimumWidth()`` (or the width of "…"), and then shows fewer words.

    Parameters
    ----------
    about : str
        The tooltip: what the label says (plain text). While the text is shortened, the
        tooltip starts with the whole text (unless ``about`` has it already).
    parent : QWidget, optional
    """

    def __init__(self, about: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(False)
        self._about = about
        self._segments: tuple[tuple[str, bool], ...] = ()
        self._elided = False
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._refit()

    # ------------------------------------------------------------------ text
    @property
    def full_text(self) -> str:
        """The whole text, plain (what the tooltip shows while the label shortens it)."""
        return "".join(text for text, _ in self._segments)

    @property
    def elided(self) -> bool:
        """True while the text is shortened."""
        return self._elided

    def set_segments(self, segments: Sequence[tuple[str, bool]], about: str | None = None) -> None:
        """Show runs of plain text, each bold or not; ``about`` replaces the tooltip's text.

        Parameters
        ----------
        segments : sequence of (text, bold)
            Plain text (escaped here when a run is bold, so the label shows it literally).
        about : str, optional
            The tooltip (plain text).
        """
        segments = tuple((str(t), bool(b)) for t, b in segments if t)
        if about is not None:
            self._about = about
        if segments == self._segments and about is None:
            return
        old_hint = self.sizeHint()
        self._segments = segments
        self.setTextFormat(
            Qt.TextFormat.RichText if any(b for _, b in segments) else Qt.TextFormat.PlainText
        )
        self._refit()
        ignored = self.sizePolicy().horizontalPolicy() == QSizePolicy.Policy.Ignored
        if self.sizeHint() != old_hint and not ignored:  # (ignored: its width is the room's)
            self._relayout()

    def _relayout(self) -> None:
        """Ask for the width the new text needs now, not at the next pass of the event loop
        (the text read meanwhile would be fitted to the old width)."""
        self.updateGeometry()
        parent = self.parentWidget()
        layout = parent.layout() if parent is not None else None
        if layout is not None and self.isVisible():
            layout.activate()  # a new width comes with a resize event: fitted again there

    def set_plain_text(self, text: str, about: str | None = None) -> None:
        """Show one run of plain text (see :meth:`set_segments`)."""
        self.set_segments([(text, False)], about)

    # ------------------------------------------------------------------ size
    def _fonts(self) -> list[QFont]:
        out = []
        for _, bold in self._segments:
            font = QFont(self.font())
            if bold:
                font.setBold(True)
            out.append(font)
        return out

    def _frame(self) -> int:
        m = self.contentsMargins()
        return m.left() + m.right() + 2 * self.margin() + max(0, self.indent()) + _SLACK

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """The size of the whole text."""
        height = super().sizeHint().height()
        need = sum(
            QFontMetricsF(f).horizontalAdvance(t)
            for f, (t, _) in zip(self._fonts(), self._segments, strict=True)
        )
        return QSize(math.ceil(need) + self._frame(), height)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """As narrow as "…"."""
        width = math.ceil(QFontMetricsF(self.font()).horizontalAdvance(ELLIPSIS)) + self._frame()
        return QSize(width, super().minimumSizeHint().height())

    def _refit(self) -> None:
        # a label not shown has no width of its own yet: whole until it is laid out and shown
        room = (
            self.contentsRect().width() - 2 * self.margin() - max(0, self.indent()) - _SLACK
            if self.isVisible()
            else math.inf
        )
        runs = [(t, f) for (t, _), f in zip(self._segments, self._fonts(), strict=True)]
        shown = elide_words(runs, room) if runs else []
        self._elided = shown != [t for t, _ in self._segments]
        if self.textFormat() == Qt.TextFormat.RichText:
            text = "".join(
                f"<b>{html.escape(s)}</b>" if b else html.escape(s)
                for s, (_, b) in zip(shown, self._segments, strict=True)
                if s
            )
        else:
            text = "".join(shown)
        if text != super().text():
            super().setText(text)
        whole = self.full_text if self._elided and self.full_text not in self._about else ""
        tip = "\n".join(t for t in (whole, self._about) if t)
        tip = plain_tooltip(tip)
        if tip != self.toolTip():
            self.setToolTip(tip)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        """Shorten or lengthen the text to the new width."""
        super().resizeEvent(event)
        self._refit()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        """Fit the text to the width it is shown at."""
        super().showEvent(event)
        self._refit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """A new font (presentation mode) needs a new fit and size hint."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and hasattr(self, "_segments"):
            self._refit()
            self._relayout()
