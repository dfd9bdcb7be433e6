"""The controller: a pure-Python EM stepper and the Qt session that runs it for the window."""

from gmm_gui.controller._none_refcount import protect_none

# Every Qt-facing module imports the controller (the views for the Snapshot), so this runs
# before any PySide6 call can wear None's reference count down (see _none_refcount).
protect_none()
