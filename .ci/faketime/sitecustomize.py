"""Imported at start-up by every Python process of CI's date-moved run (PYTHONPATH points here).

libfaketime with the monotonic clock left alone (FAKETIME_DONT_FAKE_MONOTONIC=1, without which
threads' timed waits hang) makes `time.sleep` fail with EINVAL: Python sleeps with an absolute
monotonic deadline, which libfaketime's clock_nanosleep shifts by the fake offset. The standard
library (subprocess's waits), gunicorn and the tests' pollers all sleep, so here sleeping waits on
an event instead, which libfaketime leaves alone. Nothing changes outside faketime.
"""

import os
import threading
import time

if "FAKETIME" in os.environ and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        threading.Event().wait(seconds)

    time.sleep = _sleep
