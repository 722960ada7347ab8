"""Run one call per item concurrently, under one deadline.

The fan-out of a batch request, shared by every driver (and by anything
that acts on many servers): ``FanOut.run(work, items, ...)`` calls
``work(item)`` once per item and returns the results in the items' order.

* **Per-process bound**: one :class:`FanOut` is built per agent and
  shared by all its requests; at most ``max_concurrency`` calls run at
  once in the process (its worker pool and slots).
* **Per-request window**: at most ``window`` items of one ``run`` are in
  flight at once, so one big request cannot take every slot.
* **Deadline**, passed explicitly: no item starts at or after it; an item
  not started by then (still queued, or waiting for a slot) gets
  ``not_sent(item)`` and ``work`` is never called for it.
* **Cancel**: once the optional ``cancel`` event is set, items not yet
  started are not started either (``not_sent`` again); started calls go
  on, and their results are returned, never dropped.
* The request's context is made current in each worker thread
  (``context.update_store()``), so their log lines carry its request id.
* One item runs inline in the caller's thread (no hand-off), under the
  same per-process bound.

``work`` must bound its own duration (e.g. HTTP timeouts cut to the
deadline): ``run`` waits for every call it started.
"""

import collections
from concurrent import futures
import threading
import time


class FanOut(object):
    """A worker pool and call slots, shared by the requests of one agent.

    :param max_concurrency: most calls in flight at once in this process,
        all requests together.
    :param name: prefix of the worker threads' names.
    """

    def __init__(self, max_concurrency, name):
        self.max_concurrency = max_concurrency
        self.pool = futures.ThreadPoolExecutor(
            max_workers=max_concurrency, thread_name_prefix=name)
        # Pool workers and the callers that run one item inline share them.
        self.slots = threading.BoundedSemaphore(max_concurrency)

    def run(self, work, items, deadline, window, not_sent, context=None,
            cancel=None):
        """``work(item)`` for each item; the results in the items' order.

        :param deadline: a ``time.monotonic()`` value: no item starts then
            or later.
        :param window: most items of this call in flight at once.
        :param not_sent: ``not_sent(item)`` is the result of an item that
            was not started.
        :param context: an oslo.context ``RequestContext`` made current in
            the worker threads, or None.
        :param cancel: a ``threading.Event``; once set, no item starts.
        :raises: what ``work`` raises (items not started are dropped).
        """
        items = tuple(items)
        if len(items) == 1:
            return [self._start(work, items[0], deadline, not_sent, None,
                                cancel)]
        results = [None] * len(items)
        todo = collections.deque(range(len(items)))
        running = {}
        try:
            while todo or running:
                while todo and len(running) < window and \
                        not _stopped(deadline, cancel):
                    index = todo.popleft()
                    running[self.pool.submit(
                        self._start, work, items[index], deadline, not_sent,
                        context, cancel)] = index
                if not running:
                    break
                done, _ = futures.wait(
                    running, timeout=max(0, deadline - time.monotonic()),
                    return_when=futures.FIRST_COMPLETED)
                if not done:
                    break
                for future in done:
                    results[running.pop(future)] = future.result()
            for future in [f for f in running if f.cancel()]:
                index = running.pop(future)
                results[index] = not_sent(items[index])
            for future in futures.as_completed(running):
                results[running[future]] = future.result()
            running.clear()
        finally:
            for future in running:
                future.cancel()
        for index in todo:
            results[index] = not_sent(items[index])
        return results

    def _start(self, work, item, deadline, not_sent, context, cancel):
        """Run one item in a slot, unless the deadline or cancel came first."""
        if context is not None:
            context.update_store()
        if not self.slots.acquire(timeout=max(0, deadline - time.monotonic())):
            return not_sent(item)
        try:
            if _stopped(deadline, cancel):
                return not_sent(item)
            return work(item)
        finally:
            self.slots.release()


def _stopped(deadline, cancel):
    return time.monotonic() >= deadline or (
        cancel is not None and cancel.is_set())
