"""The suite's own guard: a hanging test fails by itself, naming itself, and stops the process
it was waiting for, so one stuck kernel or browser cannot stall the whole run
(tests/timelimit.py, used by tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from conftest import ROOT


def test_a_hanging_test_fails_on_its_own_and_the_run_goes_on(tmp_path):
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'tests')!r})\n"
        "from timelimit import pytest_runtest_protocol  # noqa\n")
    marker = tmp_path / "child.pid"
    child = f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    (tmp_path / "test_hang.py").write_text(
        "import subprocess, sys\n"
        "def test_stuck():\n"
        f"    subprocess.run([sys.executable, '-c', {child!r}])\n"
        "def test_next():\n"
        "    pass\n")
    env = dict(os.environ, TRUSTLAB_TEST_TIME_LIMIT="3")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-o", "addopts=", "-p",
                           "no:cacheprovider", "-q", str(tmp_path / "test_hang.py")],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=90)
    assert time.monotonic() - start < 60
    assert "test_hang.py::test_stuck ran for more than 3 s" in proc.stdout, proc.stdout[-2000:]
    assert "1 failed, 1 passed" in proc.stdout, proc.stdout[-2000:]
    pid = int(marker.read_text())
    assert not os.path.exists(f"/proc/{pid}"), "the hung test's child process was left running"
