"""The history of an EM run: every state reached, the one shown, and the memory it keeps (no Qt).

Every state keeps its mixture (a few hundred bytes), but the responsibilities
(``n_samples * n_components`` floats, 4 MB at 100,000 points and K = 5) are kept only for the
states seen most recently, within ``resp_cache_bytes`` (least recently shown first out; the state
shown and the newest state always keep theirs). A state whose responsibilities were let go gets
them back from ``recompute(mixture)``, one E-step of its stored mixture: the same function on the
same numbers, so the identical array.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from gmm_gui.controller.snapshot import Snapshot
from gmm_gui.model import Mixture

__all__ = ["DEFAULT_RESP_CACHE_BYTES", "History"]

#: Responsibilities of past states are kept within this many bytes (least recently shown out).
DEFAULT_RESP_CACHE_BYTES = 256 * 2**20


class History:
    """The states ``start -> E -> M -> E -> M ...`` of one start, and the index shown.

    Parameters
    ----------
    start : Snapshot
        The start state (first of the history).
    recompute : callable(Mixture) -> array of shape (n_samples, n_components)
        The responsibilities of a mixture (an E-step), read-only; used to bring back those let
        go.
    resp_cache_bytes : int
        Responsibilities of past states are kept within this budget.
    """

    def __init__(
        self,
        start: Snapshot,
        recompute: Callable[[Mixture], np.ndarray],
        resp_cache_bytes: int = DEFAULT_RESP_CACHE_BYTES,
    ) -> None:
        self._states: list[Snapshot] = [start]
        self._index = 0
        self._recompute = recompute
        self.resp_cache_bytes = int(resp_cache_bytes)
        # History index of each E-step whose responsibilities are held -> their bytes, least
        # recently shown first. The M-step after an E-step shares its array.
        self._resp_held: OrderedDict[int, int] = OrderedDict()
        self._resp_bytes = 0

    # ------------------------------------------------------------------ state
    def __len__(self) -> int:
        return len(self._states)

    @property
    def states(self) -> tuple[Snapshot, ...]:
        """Every state, the start first (past states may have ``resp=None``)."""
        return tuple(self._states)

    @property
    def index(self) -> int:
        """Position of the state shown."""
        return self._index

    @property
    def start(self) -> Snapshot:
        """The start state (as stored)."""
        return self._states[0]

    @property
    def newest(self) -> Snapshot:
        """The newest state, as stored (its responsibilities may have been let go)."""
        return self._states[-1]

    def raw(self, index: int) -> Snapshot:
        """State ``index`` as stored."""
        return self._states[index]

    @property
    def resp_bytes(self) -> int:
        """Bytes of responsibilities held."""
        return self._resp_bytes

    # ---------------------------------------------------------------- moving
    def go_to(self, index: int) -> None:
        """Show state ``index`` (clipped)."""
        self._index = int(np.clip(index, 0, len(self._states) - 1))

    def restart(self, start: Snapshot) -> None:
        """A new start: the history is only ``start``, shown."""
        self._states = [start]
        self._index = 0
        self._forget_resp()

    def kept(self) -> tuple[Snapshot, ...]:
        """Every state, without the responsibilities of the E- and M-steps (for an undo record:
        :meth:`restore` brings the states back and :meth:`materialised` their
        responsibilities, one E-step each, when shown)."""
        return tuple(
            s if s.phase == "start" or s.resp is None else replace(s, resp=None)
            for s in self._states
        )

    def restore(self, states: Sequence[Snapshot], index: int) -> None:
        """The history is ``states`` (from :meth:`kept`), state ``index`` shown (clipped)."""
        if not states:
            raise ValueError("a history has at least its start")
        self._states = list(states)
        self._forget_resp()
        self.go_to(index)

    def truncate(self) -> None:
        """Back to the start, forgetting every state after it."""
        del self._states[1:]
        self._index = 0
        self._forget_resp()

    def extend(self, snaps: Sequence[Snapshot]) -> None:
        """Append computed states after the newest and show the last of them."""
        if not snaps:
            return
        first = len(self._states)
        self._states.extend(snaps)
        self._index = len(self._states) - 1
        for i in range(first, len(self._states)):
            if self._states[i].phase == "E" and self._states[i].resp is not None:
                self._hold(i)
        self._evict()

    # ------------------------------------------------- responsibilities' budget
    def _e_index(self, index: int) -> int | None:
        """History index of the E-step whose responsibilities state ``index`` shows."""
        phase = self._states[index].phase
        if phase == "E":
            return index
        if phase == "M" and index >= 1 and self._states[index - 1].phase == "E":
            return index - 1
        return None

    def _hold(self, e_index: int) -> None:
        resp = self._states[e_index].resp
        if e_index in self._resp_held:
            self._resp_held.move_to_end(e_index)
        elif resp is not None:
            self._resp_held[e_index] = int(resp.nbytes)
            self._resp_bytes += int(resp.nbytes)

    def _evict(self) -> None:
        """Let go of the least recently shown responsibilities until within the budget."""
        keep = {self._e_index(self._index), self._e_index(len(self._states) - 1)}
        for e_index in list(self._resp_held):
            if self._resp_bytes <= self.resp_cache_bytes:
                break
            if e_index in keep:
                continue
            self._resp_bytes -= self._resp_held.pop(e_index)
            for i in (e_index, e_index + 1):
                if i < len(self._states) and self._e_index(i) == e_index:
                    self._states[i] = replace(self._states[i], resp=None)

    def _forget_resp(self) -> None:
        self._resp_held.clear()
        self._resp_bytes = 0

    def materialised(self, index: int) -> Snapshot:
        """State ``index``, its responsibilities recomputed (one E-step) if they were let go."""
        snap = self._states[index]
        e_index = self._e_index(index)
        if e_index is None or snap.mixture is None:
            return snap
        if snap.resp is None:
            e_snap = self._states[e_index]
            resp = e_snap.resp
            if resp is None:
                assert e_snap.mixture is not None
                resp = self._recompute(e_snap.mixture)
            for i in (e_index, e_index + 1):
                if i < len(self._states) and self._e_index(i) == e_index:
                    if self._states[i].resp is None:
                        self._states[i] = replace(self._states[i], resp=resp)
            self._hold(e_index)
            self._evict()
        elif e_index in self._resp_held:
            self._resp_held.move_to_end(e_index)
        return self._states[index]
