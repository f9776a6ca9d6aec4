"""One sandbox per submission: where the grader runs a learner's code.

Two ways, chosen by :func:`mode` (``--sandbox auto`` takes the first that works):

* ``bwrap`` (bubblewrap, Debian package ``bubblewrap``): a new mount, PID, network, IPC and UTS namespace
  and an unprivileged user (``nobody``) inside a new user namespace. The code sees a read-only view of the
  system (``/usr``), of the Python it runs on, of the course data, of its own copy of the pack's public part
  (``/sandbox/pack``) and of the runner (``/sandbox/run.py``); its scratch folder and ``/tmp`` are small
  private tmpfs. Nothing else of the machine is there: not the course checkout with its solutions, not the
  grading set, not the other submissions, not the grader's processes (``/proc`` shows only the sandbox's),
  no network. When the sandbox's first process ends or is killed, the kernel kills every process left in
  its PID namespace (daemons included).
* ``none`` (fallback, where bubblewrap cannot run): the same runner as a child process in a new session,
  in a private scratch folder with HOME there and a clean environment. It limits time, memory and file
  size, and kills its process group (and its cgroup, when the machine allows one) at the end; but the
  code runs as the grader's own OS user: it can read whatever that user can read and reach the network.

Both: memory and process count limited through a cgroup when ``/sys/fs/cgroup`` allows one (else memory
through RLIMIT_AS), file size through RLIMIT_FSIZE, a wall clock kept by the grader (nothing the code
writes changes it), and every process killed at the end. Results come back on a pipe (file descriptor 3)
that only this sandbox writes; what the code prints is counted, never kept or read for grading.

This module belongs to the grader (``course_utils/tools``), which never runs learner code in its own process.
"""
from __future__ import annotations

import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

RUNNER = Path(__file__).with_name("sandbox_runner.py")
INSIDE = "/sandbox"                    # the sandbox's own root for the pack, the runner, inputs and scratch


@dataclass
class Limits:
    memory: int = 3 << 30              # bytes for all the sandbox's processes together
    processes: int = 64                # processes and threads
    file_size: int = 64 << 20          # largest file it may write
    scratch: int = 256 << 20           # its scratch folder and /tmp (bwrap: tmpfs of this size each)


@dataclass
class Run:
    returncode: int | None
    timed_out: bool                    # the wall clock ran out (or the watcher stopped it)
    channel: bytes                     # what came back on the result pipe (at most `channel_cap` bytes)
    channel_cut: bool
    printed: int                       # bytes the code wrote to stdout and stderr (counted, not kept)
    seconds: float


_MODE: dict[str, str | None] = {}


def bwrap_problem() -> str | None:
    """None if bubblewrap runs here, else why not (checked once per process)."""
    if "bwrap" in _MODE:
        return _MODE["bwrap"]
    exe = shutil.which("bwrap")
    if exe is None:
        why = "bubblewrap is not installed (Debian: apt-get install bubblewrap)"
    else:
        try:
            out = subprocess.run([exe, *_system_binds(), "--unshare-all", "--unshare-user", "--uid", "65534",
                                  "--gid", "65534", "--die-with-parent", "--proc", "/proc", "--dev", "/dev",
                                  "true"], capture_output=True, timeout=30)
            why = None if out.returncode == 0 else (out.stderr.decode(errors="replace").strip()[:200] or "bwrap failed")
        except (OSError, subprocess.SubprocessError) as err:
            why = f"bwrap failed: {err}"
    _MODE["bwrap"] = why
    return why


def mode(wanted: str = "auto") -> str:
    """'bwrap' or 'none'. `wanted`: auto (bwrap if it runs, else none), bwrap (required) or none."""
    if wanted not in ("auto", "bwrap", "none"):
        raise SystemExit(f"--sandbox must be auto, bwrap or none, got {wanted!r}")
    if wanted == "none":
        return "none"
    why = bwrap_problem()
    if why is None:
        return "bwrap"
    if wanted == "bwrap":
        raise SystemExit(f"--sandbox bwrap: {why}")
    return "none"


# ---------------------------------------------------------------- cgroups (v1 or v2), when the machine allows
class CGroup:
    """A pids + memory cgroup for one sandbox; `kill()` ends every process in it, escapees included."""

    def __init__(self, limits: Limits):
        self.dirs: list[Path] = []
        name = f"course-grade-{os.getpid()}-{secrets.token_hex(4)}"
        unified = Path("/sys/fs/cgroup")
        try:
            if (unified / "cgroup.controllers").exists():                    # cgroup v2
                d = unified / name
                d.mkdir()
                self.dirs.append(d)
                (d / "pids.max").write_text(str(limits.processes))
                (d / "memory.max").write_text(str(limits.memory))
                with open(d / "memory.swap.max", "w") as f:
                    f.write("0")
            else:                                                             # cgroup v1
                for ctl, files in (("pids", {"pids.max": limits.processes}),
                                   ("memory", {"memory.limit_in_bytes": limits.memory})):
                    d = unified / ctl / name
                    d.mkdir()
                    self.dirs.append(d)
                    for f, v in files.items():
                        (d / f).write_text(str(v))
        except OSError:
            self.remove()
            self.dirs = []

    @property
    def ok(self) -> bool:
        return bool(self.dirs)

    def attach(self) -> None:
        """Put the calling process in the cgroup (run in the child before exec)."""
        for d in self.dirs:
            with open(d / "cgroup.procs", "w") as f:
                f.write("0")

    def pids(self) -> list[int]:
        out: set[int] = set()
        for d in self.dirs:
            try:
                out |= {int(x) for x in (d / "cgroup.procs").read_text().split()}
            except (OSError, ValueError):
                pass
        return sorted(out)

    def kill(self) -> None:
        for d in self.dirs:
            kill_file = d / "cgroup.kill"
            if kill_file.exists():
                try:
                    kill_file.write_text("1")
                except OSError:
                    pass
        for _ in range(100):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


# ---------------------------------------------------------------- the command
def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for f in ("/etc/ld.so.cache", "/etc/localtime", "/etc/fonts", "/etc/alternatives", "/etc/mime.types"):
        args += ["--ro-bind-try", f, f]
    return args


def _python_dirs() -> list[str]:
    """The folders the running Python needs (the venv and the base installation), without what lies around them."""
    dirs = []
    for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}:
        p = os.path.realpath(p)
        if p.startswith("/usr"):
            continue
        if not any(p == d or p.startswith(d + os.sep) for d in dirs):
            dirs = [d for d in dirs if not d.startswith(p + os.sep)] + [p]
    return sorted(dirs)


def _env(home: str, pack: str, extra: dict[str, str]) -> dict[str, str]:
    env = {"HOME": home, "PYTHONPATH": pack, "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "PYTHONHASHSEED": "0",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "COURSE_THREADS": os.environ.get("COURSE_THREADS", "1"), "MPLCONFIGDIR": f"{home}/.mpl",
           "TMPDIR": "/tmp" if home.startswith(INSIDE) else home}
    env.update(extra)
    return env


def command(how: str, argv: list[str], binds: dict[str, str], limits: Limits, env: dict[str, str],
            data: str | None) -> list[str]:
    """The bwrap command line for `argv` (run inside); `binds` maps a folder inside to a host folder (read-only)."""
    cmd = ["bwrap", *_system_binds()]
    for d in _python_dirs():
        cmd += ["--ro-bind", d, d]
    if data:
        cmd += ["--ro-bind", data, f"{INSIDE}/data"]
    for inside, host in binds.items():
        cmd += ["--ro-bind", host, inside]
    size = str(limits.scratch)
    cmd += ["--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", f"{INSIDE}/work",
            "--dir", f"{INSIDE}/work/home", "--dir", f"{INSIDE}/work/notebook",
            "--proc", "/proc", "--dev", "/dev",
            "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    for k, v in env.items():
        cmd += ["--setenv", k, v]
    cmd += ["--chdir", f"{INSIDE}/work/notebook", "--", *argv]
    return cmd


def run(how: str, phase: str, stdin: bytes, *, pack: Path, scratch: Path, limits: Limits, wall: float,
        channel_cap: int, inputs: Path | None = None,
        watch: Callable[[bytearray, float], bool] | None = None) -> Run:
    """Run the runner's `phase` ('notebook' or 'answers') on `stdin`, sandboxed by `how`; return what came back.

    `scratch` is a private host folder for this run (the fallback's working folder; bwrap does not use it).
    `watch(channel_so_far, seconds)` is called often; True stops the run (a per-exercise time limit).
    """
    data = os.environ.get("COURSE_DATA")
    data = data if data and os.path.isdir(data) else None
    cgroup = CGroup(limits)
    r_chan, w_chan = os.pipe()
    if how == "bwrap":
        binds = {f"{INSIDE}/pack": str(pack), f"{INSIDE}/run.py": str(RUNNER)}
        extra = {"COURSE_DATA": f"{INSIDE}/data"} if data else {}
        extra["SANDBOX_FD"] = str(w_chan)
        if inputs is not None:
            binds[f"{INSIDE}/inputs"] = str(inputs)
            extra["SANDBOX_INPUTS"] = f"{INSIDE}/inputs"
        env = _env(f"{INSIDE}/work/home", f"{INSIDE}/pack", extra)
        argv = command(how, [sys.executable, f"{INSIDE}/run.py", phase], binds, limits, env, data)
        cwd = None
    else:
        home, work = scratch / "home", scratch / "notebook"
        home.mkdir(parents=True, exist_ok=True)
        work.mkdir(parents=True, exist_ok=True)
        extra = {"COURSE_DATA": data} if data else {}
        extra["SANDBOX_FD"] = str(w_chan)
        if inputs is not None:
            extra["SANDBOX_INPUTS"] = str(inputs)
        env = _env(str(home), str(pack), extra)
        argv, cwd = [sys.executable, str(RUNNER), phase], str(work)

    def limit_child() -> None:                     # in the child, before exec
        if cgroup.ok:
            try:
                cgroup.attach()
            except OSError:
                pass
        else:
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size, limits.file_size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        cpu = int(wall * 2) + 30
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

    t0 = time.monotonic()
    proc = subprocess.Popen(argv, cwd=cwd, env=None if how == "bwrap" else env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(w_chan,),
                            start_new_session=True, preexec_fn=limit_child, close_fds=True)
    os.close(w_chan)
    buf = bytearray()
    got = [0, False, 0]                             # channel bytes, channel cut, printed bytes

    def read_channel() -> None:
        with os.fdopen(r_chan, "rb", buffering=0) as f:
            while True:
                b = f.read(1 << 16)
                if not b:
                    return
                if got[0] + len(b) > channel_cap:
                    b = b[:max(0, channel_cap - got[0])]
                    got[1] = True
                if b:
                    buf.extend(b)
                    got[0] += len(b)

    def read_output() -> None:
        while True:
            b = proc.stdout.read1(1 << 16) if hasattr(proc.stdout, "read1") else proc.stdout.read(1 << 16)
            if not b:
                return
            got[2] += len(b)

    readers = [threading.Thread(target=read_channel, daemon=True), threading.Thread(target=read_output, daemon=True)]
    for t in readers:
        t.start()

    def feed() -> None:
        try:
            proc.stdin.write(stdin)
            proc.stdin.close()
        except OSError:
            pass

    threading.Thread(target=feed, daemon=True).start()
    timed_out = False
    try:
        while proc.poll() is None:
            time.sleep(0.05)
            spent = time.monotonic() - t0
            if spent > wall or (watch is not None and watch(buf, spent)):
                timed_out = True
                break
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
        cgroup.kill()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        cgroup.remove()
    for t in readers:
        t.join(timeout=5)
    return Run(proc.returncode, timed_out, bytes(buf), got[1], got[2], time.monotonic() - t0)
