"""Dialogs of the main window."""

from gmm_gui.ui.dialogs.columns import ColumnPickerDialog
from gmm_gui.ui.dialogs.messages import plain_message_box, show_plain_warning

__all__ = ["ColumnPickerDialog", "plain_message_box", "show_plain_warning"]
