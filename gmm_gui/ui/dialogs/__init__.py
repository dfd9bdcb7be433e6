"""Dialogs of the main window."""

from gmm_gui.ui.dialogs.columns import ColumnPickerDialog

__all__ = ["ColumnPickerDialog"]
