"""A text progress bar for long management commands (reindex, the synthetic demo generator)."""

import sys
import time


class Progress:
    """A text progress bar on a stream (stderr by default)."""

    def __init__(self, total, out=None, width=30):
        self.total, self.out, self.width, self.started = total, out or sys.stderr, width, time.monotonic()

    def show_of(self, done, total):
        self.total = total
        self.show(done)

    def show(self, done):
        filled = int(self.width * done / max(self.total, 1))
        elapsed = time.monotonic() - self.started
        self.out.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} {elapsed:5.1f} s")
        if done >= self.total:
            self.out.write("\n")
        self.out.flush()
