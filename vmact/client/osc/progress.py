"""A one-line live progress bar for a job: servers done / total, failures,
elapsed time.

Drawn only on a terminal (the stream's ``isatty()``), redrawn in place
with a carriage return; on anything else (a pipe, a file, a CI log) it
writes nothing, so scripts read the command's output alone.
"""

import time


class ProgressBar(object):
    """Redraw ``[#####-----] 5/10 servers done, 1 failed, 0:00:12``."""

    def __init__(self, stream, enabled=True, width=30, clock=time.monotonic):
        isatty = getattr(stream, 'isatty', None)
        self.stream = stream
        self.enabled = bool(enabled and isatty is not None and isatty())
        self.width = width
        self.clock = clock
        self.started = clock()
        self._drawn = 0

    def update(self, done, total, failed=0):
        """Draw the bar for ``done`` of ``total`` servers."""
        if not self.enabled:
            return
        line = render(done, total, failed, self.clock() - self.started,
                      self.width)
        pad = max(0, self._drawn - len(line))
        self.stream.write('\r' + line + ' ' * pad)
        self.stream.flush()
        self._drawn = len(line)

    def job_progress(self, job):
        """An ``on_progress`` callback for :meth:`JobManager.wait`."""
        self.update(job.done, job.total, job.failed)

    def finish(self):
        """End the bar's line, once something was drawn."""
        if self.enabled and self._drawn:
            self.stream.write('\n')
            self.stream.flush()
            self._drawn = 0


def render(done, total, failed, elapsed, width=30):
    """The bar's text (no carriage return)."""
    share = min(1.0, done / total) if total else 0.0
    filled = int(round(share * width))
    seconds = int(elapsed)
    clock = '%d:%02d:%02d' % (seconds // 3600, seconds // 60 % 60,
                              seconds % 60)
    return '[%s%s] %d/%d servers done, %d failed, %s elapsed' % (
        '#' * filled, '-' * (width - filled), done, total, failed, clock)
