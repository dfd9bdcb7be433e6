"""Message boxes whose text is always plain text.

A message often quotes a file: its name, a column header, a line of it. Qt's static
``QMessageBox.warning`` guesses whether a text is rich text (``Qt.TextFormat.AutoText``), so a
header such as ``<b>x</b>,<img src="file:///etc/hostname">`` would be drawn as HTML and the
image loaded from the disk. Every message box of the window is made here, as plain text.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

__all__ = ["plain_message_box", "plain_tooltip", "show_plain_warning"]


def plain_tooltip(text: str) -> str:
    """``text`` as a tooltip that Qt draws literally (a tooltip has no text-format switch).

    Qt guesses whether a tooltip is rich text; this one is rich text on purpose, with every
    character of ``text`` escaped and its line breaks kept, so ``<b>`` shows as ``<b>``.
    """
    if not text:
        return ""
    lines = (html.escape(line, quote=False) for line in text.split("\n"))
    return "<qt>" + "<br>".join(lines) + "</qt>"


def plain_message_box(
    parent: QWidget | None,
    title: str,
    text: str,
    icon: QMessageBox.Icon = QMessageBox.Icon.Warning,
) -> QMessageBox:
    """A message box with an OK button that shows ``title`` and ``text`` literally.

    Parameters
    ----------
    parent : QWidget or None
    title, text : str
        Shown as they are (plain text, never HTML).
    icon : QMessageBox.Icon

    Returns
    -------
    QMessageBox
        Not shown yet; the caller runs it (``exec``).
    """
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def show_plain_warning(parent: QWidget | None, title: str, text: str) -> None:
    """Show a modal warning with ``text`` as plain text and wait for OK."""
    box = plain_message_box(parent, title, text)
    try:
        box.exec()
    finally:
        box.deleteLater()
