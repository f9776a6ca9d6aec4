"""The grading sandbox (course_utils/tools/sandbox.py) on its own: what learner code can see and do in it.

Small runs without torch (the notebook runner with plain cells), so that each takes a second or two.
"""
from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from course_utils.tools import sandbox
from course_utils.tools.grade import Frames

ROOT = Path(__file__).resolve().parents[1]
needs_bwrap = pytest.mark.skipif(sandbox.bwrap_problem() is not None,
                                 reason=f"needs bubblewrap: {sandbox.bwrap_problem()}")


def _run(tmp_path: Path, how: str, cells: list[str], wall: float = 60, **limits) -> tuple[sandbox.Run, list[dict]]:
    pack = tmp_path / "pack"
    (pack / "course_utils").mkdir(parents=True, exist_ok=True)
    job = json.dumps({"cells": [[i, c] for i, c in enumerate(cells)]}).encode()
    run = sandbox.run(how, "notebook", job, pack=pack, scratch=tmp_path / "scratch", limits=sandbox.Limits(**limits),
                      wall=wall, channel_cap=1 << 20)
    frames = Frames()
    frames.feed(run.channel)
    return run, [m for m, _, _ in frames.messages]


def _cgroups() -> bool:
    probe = sandbox.CGroup(sandbox.Limits())
    probe.remove()
    return probe.ok


def _alive(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if marker in line and "ps -eo" not in line]


FACTS = """
import json, os, socket
facts = {"uid": os.getuid(), "cwd": os.getcwd(), "checkout": os.path.exists(%r),
         "processes": len([p for p in os.listdir("/proc") if p.isdigit()])}
try:
    socket.create_connection(("10.255.255.1", 80), timeout=1)
    facts["net"] = True
except OSError:
    facts["net"] = False
for path in ("/usr/x", "/sandbox/pack/x"):
    try:
        open(path, "w").write("x")
        facts[path] = "written"
    except OSError:
        facts[path] = "refused"
open("mine.txt", "w").write("x")
raise RuntimeError(json.dumps(facts))
""" % str(ROOT / "course_utils" / "tools")
DAEMON = """
import subprocess, sys
code = "import os, time\\nos.fork() and os._exit(0)\\nos.setsid()\\ntime.sleep(300)"
subprocess.Popen([sys.executable, "-c", code, "MARKER"], start_new_session=True)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "MARKER"])
"""


@needs_bwrap
def test_bwrap_sandbox_sees_nothing_of_the_machine_and_ends_every_process(tmp_path):
    marker = f"sandbox-test-{uuid.uuid4().hex[:8]}"
    run, msgs = _run(tmp_path, "bwrap", [FACTS, DAEMON.replace("MARKER", marker), "x = bytearray(600 << 20)\nx[::4096] = b'1' * len(x[::4096])"],
                     memory=300 << 20)
    facts = json.loads(next(m for m in msgs if m.get("ran") == 0)["error"][1])
    assert facts["uid"] == 65534 and facts["net"] is False and facts["checkout"] is False
    assert facts["/usr/x"] == facts["/sandbox/pack/x"] == "refused" and facts["cwd"].startswith("/sandbox/work")
    assert facts["processes"] < 5                        # its own, not the machine's
    assert any(m.get("ran") == 1 and m.get("error") is None for m in msgs)
    if _cgroups():                                       # the 600 MB cell was killed (cgroup memory limit)
        assert not any(m.get("finished") for m in msgs)
    else:                                                # or refused its memory (address-space limit)
        assert next(m for m in msgs if m.get("ran") == 2)["error"][0] == "MemoryError"
    assert _alive(marker) == []                          # daemons included
    assert not list(tmp_path.glob("**/mine.txt"))        # its scratch folder was its own tmpfs


@needs_bwrap
def test_the_wall_clock_is_the_graders(tmp_path):
    run, msgs = _run(tmp_path, "bwrap", ["import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass"],
                     wall=3)
    assert run.timed_out and run.seconds < 15


def test_fallback_without_a_sandbox_still_limits_time_and_ends_its_processes(tmp_path):
    marker = f"sandbox-test-{uuid.uuid4().hex[:8]}"
    run, msgs = _run(tmp_path, "none", [DAEMON.replace("MARKER", marker), "while True:\n    pass"], wall=3)
    assert run.timed_out and any(m.get("ran") == 0 for m in msgs)
    if _cgroups():
        assert _alive(marker) == []
    for line in _alive(marker):                          # without a cgroup a setsid daemon escapes (documented)
        subprocess.run(["kill", "-9", line.split()[0]], check=False)
