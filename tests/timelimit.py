"""A per-test time limit for the suite (imported by tests/conftest.py).

A test that hangs (a kernel that never answers, a browser that never loads) fails on its own
after TRUSTLAB_TEST_TIME_LIMIT seconds (600 unless set), naming itself, instead of stalling the
run until CI gives up; what it was waiting for (a subprocess.run child) is stopped with it.
pytest's faulthandler_timeout (pyproject.toml) prints every thread's stack shortly before."""

from __future__ import annotations

import os

import pytest

TEST_TIME_LIMIT = int(os.environ.get("TRUSTLAB_TEST_TIME_LIMIT", "600"))


class TimeLimitExceeded(Exception):
    pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    import signal

    if not hasattr(signal, "SIGALRM") or TEST_TIME_LIMIT <= 0:
        yield
        return

    def expire(signum, frame):
        raise TimeLimitExceeded(f"{item.nodeid} ran for more than {TEST_TIME_LIMIT} s (setup, "
                                "call or teardown); TRUSTLAB_TEST_TIME_LIMIT sets the limit")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(TEST_TIME_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
