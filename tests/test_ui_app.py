"""App-wide Qt setup: garbage collection only on the UI thread, background tasks."""

import gc
import threading


def test_cyclic_garbage_is_collected_on_the_ui_thread(qtbot, qapp):
    assert not gc.isenabled()  # no collection may start inside a worker thread
    collected_on = []

    class Cycle:
        def __del__(self):
            collected_on.append(threading.current_thread() is threading.main_thread())

    # well past the threshold: frees left over from earlier tests lower gen-0 counts too
    for _ in range(10 * gc.get_threshold()[0]):
        a, b = Cycle(), Cycle()
        a.other, b.other = b, a
    del a, b
    qtbot.waitUntil(lambda: len(collected_on) > 0, timeout=5000)
    assert all(collected_on)


def test_task_runner_reports_result_and_error_on_ui_thread(qtbot, ctx):
    results, errors = [], []

    def work(progress):
        progress(1, 2)
        return threading.current_thread() is threading.main_thread()

    ctx.tasks.run(work, results.append, errors.append, on_progress=lambda d, t: None)
    ctx.tasks.run(lambda: 1 / 0, results.append, errors.append)
    qtbot.waitUntil(lambda: len(results) == 1 and len(errors) == 1)
    assert results == [False]  # the work itself ran off the UI thread
    assert isinstance(errors[0], ZeroDivisionError)


def test_full_collections_wait_for_background_work(qapp):
    """A full GC pause (100 ms+ in a big process) never lands while an import or sync runs
    in the background; young generations are still collected, the full one runs after."""
    import gc

    from ui.gc import MainThreadGarbageCollector

    class Runner:
        busy = True

    collector = MainThreadGarbageCollector()
    collector.timer.stop()
    runner = Runner()
    collector.defer_full_collections_while(runner, lambda r: r.busy)
    generations: list[int] = []

    def seen(phase, info):
        if phase == "start":
            generations.append(info["generation"])

    keep: list = []
    old = gc.get_threshold()
    gc.callbacks.append(seen)
    try:
        gc.set_threshold(1, 1, 1)
        for _ in range(5):
            keep.append([[] for _ in range(50)])  # net new container objects
            collector.check()
        assert generations and 2 not in generations
        runner.busy = False
        for _ in range(10):
            keep.append([[] for _ in range(50)])  # net new container objects
            collector.check()
        assert 2 in generations
    finally:
        gc.callbacks.remove(seen)
        gc.set_threshold(*old)
        collector.deleteLater()
