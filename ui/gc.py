"""Run Python's cyclic garbage collector on the UI thread only.

Automatic collection can start in whichever thread allocates at that moment; if it frees
a cycle holding Qt objects from a worker thread, Qt crashes (seen: a segfault while a PDF
was being rendered in the background). As qutebrowser does, automatic collection is
turned off and a timer on the UI thread collects instead, generation by generation.

A full (generation 2) collection walks every object the program holds and can pause the
UI thread for 100 ms and more; so it waits while background work runs (an import or a
sync allocates a lot, and the window must keep painting meanwhile) and runs once the work
is done. Young generations are still collected on schedule.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class MainThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        self._busy: list[tuple[weakref.ref[object], Callable[[object], bool]]] = []
        gc.disable()
        self.timer.start()

    def defer_full_collections_while(self, owner: object, busy: Callable[[object], bool]) -> None:
        """``busy(owner)`` true (e.g. a TaskRunner with work in flight) postpones full
        collections; ``owner`` is held weakly, so a closed window's runner drops out."""
        self._busy = [ref for ref in self._busy if ref[0]() is not None]
        self._busy.append((weakref.ref(owner), busy))

    def _background_work(self) -> bool:
        for ref, busy in self._busy:
            owner = ref()
            if owner is not None and busy(owner):
                return True
        return False

    def check(self) -> None:
        threshold0, threshold1, threshold2 = gc.get_threshold()
        count0, count1, count2 = gc.get_count()
        if count0 > threshold0:
            generation = 0
            if count1 > threshold1:
                generation = 1
                if count2 > threshold2 and not self._background_work():
                    generation = 2
            gc.collect(generation)


def collector_of(app: QObject | None) -> MainThreadGarbageCollector | None:
    """The collector create_app() installed on ``app`` (None for a bare QApplication)."""
    return app.findChild(MainThreadGarbageCollector) if app is not None else None
