"""Run Python's cyclic garbage collector on the UI thread only.

Automatic collection can start in whichever thread allocates at that moment; if it frees
a cycle holding Qt objects from a worker thread, Qt crashes (seen: a segfault while a PDF
was being rendered in the background). As qutebrowser does, automatic collection is
turned off and a timer on the UI thread collects instead, generation by generation.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class MainThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        gc.disable()
        self.timer.start()

    def check(self) -> None:
        threshold0, threshold1, threshold2 = gc.get_threshold()
        count0, count1, count2 = gc.get_count()
        if count0 > threshold0:
            generation = 0
            if count1 > threshold1:
                generation = 1
                if count2 > threshold2:
                    generation = 2
            gc.collect(generation)
