"""The panels around the plot: log-likelihood, component table, timeline, status line."""

from gmm_gui.ui.panels.components import ComponentTable
from gmm_gui.ui.panels.loglik import LogLikelihoodPanel
from gmm_gui.ui.panels.status import StatusPanel, describe_warning_count, phase_text
from gmm_gui.ui.panels.timeline import Timeline

__all__ = [
    "ComponentTable",
    "LogLikelihoodPanel",
    "StatusPanel",
    "Timeline",
    "describe_warning_count",
    "phase_text",
]
