"""One crawl of a database at a time: a second one is refused with one line, and a killed crawl leaves no lock."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

from aggregator.exceptions import ConflictError
from crawlers.run import crawl_lock
from tests.conftest import make_config


def test_a_second_crawl_is_refused_with_one_line(tmp_path):
    config = make_config(tmp_path)
    env = {
        "WIRE_DB": str(config.db),
        "WIRE_ALLOW_PRIVATE_NETWORKS": "1",
        "WIRE_ALLOWED_HOSTS": "127.0.0.1",
        "PATH": "/usr/bin:/bin",
    }
    with crawl_lock(config.db):
        result = subprocess.run(
            [sys.executable, "-m", "wire", "crawl"], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
        )
        with pytest.raises(ConflictError, match=f"another crawl of .* is running \\(pid {os.getpid()}\\)"):
            with crawl_lock(config.db):
                pass
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "another crawl" in lines[0] and str(os.getpid()) in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    with crawl_lock(config.db):  # released when the first crawl ended
        pass


def _hold(path, ready):
    with crawl_lock(path):
        ready.set()
        time.sleep(120)


def test_a_killed_crawl_leaves_no_lock(tmp_path):
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_hold, args=(tmp_path / "wire.db", ready))
    holder.start()
    assert ready.wait(60)
    with pytest.raises(ConflictError):
        with crawl_lock(tmp_path / "wire.db"):
            pass
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()
    with crawl_lock(tmp_path / "wire.db"):
        pass
