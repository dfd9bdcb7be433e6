"""Which background result still answers the question the user asked.

:class:`~gmm_gui.controller.tasks.BackgroundTask` already drops whatever replaced work reports
(by its token): ``progress``, ``finished`` and ``failed`` come only from the work started last.
What the task cannot know is that the work started last no longer answers anything, because the
data it was started for has been replaced since. :class:`Requests` adds that: the docks start
their work through it, call :meth:`Requests.drop` when the data change, and show what the task
reports only while :meth:`Requests.is_current` is true.
"""

from __future__ import annotations

from gmm_gui.controller.tasks import BackgroundTask, Work

__all__ = ["Requests"]


class Requests:
    """The requests made of one :class:`BackgroundTask`, and whether the last is still wanted.

    Parameters
    ----------
    task : BackgroundTask
        The task the work runs in (its signals are connected by the caller as usual).
    """

    def __init__(self, task: BackgroundTask) -> None:
        self.task = task
        self._generation = 0  # raised by drop(): what was asked before is no longer wanted
        self._asked = -1  # the generation of the work started last (none yet)

    def start(self, work: Work) -> None:
        """Run ``work`` in the task (replacing any work under way); its reports are current."""
        self._asked = self._generation
        self.task.start(work)

    def drop(self) -> None:
        """Give up the work under way (e.g. it is for data no longer open): it is cancelled,
        and what it still reports (progress, a partial result, a failure) is not current."""
        self._generation += 1
        self.task.cancel()

    def is_current(self) -> bool:
        """True when what the task reports answers the last request, not one dropped since."""
        return self._asked == self._generation
