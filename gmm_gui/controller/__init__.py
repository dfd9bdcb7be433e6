"""The controller: a pure-Python EM stepper and the Qt session that runs it for the window."""
