"""The runner inside a grading sandbox (see sandbox.py): runs a learner's cells or answers, reports on a pipe.

    python sandbox_runner.py notebook   < {"cells": [[index, source], ...]}
    python sandbox_runner.py answers    < {"exercises": [{key, name, source, mode, module, number, inputs}, ...]}

It is started by the grader in a sandbox, with the pack's public part first on the path, and writes its
messages to the file descriptor named by SANDBOX_FD: one JSON line each, a line with "bytes": n followed by
n raw bytes (a torch.save of the records). The learner's code runs in this process and could write there
too; that can only spoil its own results, never another learner's, and the verdict is the grader's: it
compares the records with expected values that never enter the sandbox.
"""
from __future__ import annotations

import io
import json
import os
import sys

_FD = int(os.environ.get("SANDBOX_FD", "3"))
_write, _dumps = os.write, json.dumps


def send(message: dict, payload: bytes = b"") -> None:
    if payload:
        message = {**message, "bytes": len(payload)}
    data = _dumps(message, ensure_ascii=True).encode() + b"\n" + payload
    while data:
        n = _write(_FD, data)
        data = data[n:]


def run_notebook(job: dict) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="NoColor")
    for index, source in job["cells"]:
        send({"start": index})
        try:
            result = shell.run_cell(source, store_history=False)
            err = result.error_in_exec or result.error_before_exec
        except BaseException as e:  # noqa: BLE001  SystemExit and friends from a cell: the cell failed
            err = e
        send({"ran": index, "error": [type(err).__name__, str(err)[:300]] if err is not None else None})
    send({"finished": True})


def run_answers(job: dict) -> None:
    import importlib

    import torch

    from course_utils.exercises import NotAttempted
    from course_utils.exercises.stored import run_calls

    save, load = torch.save, torch.load
    folder = os.environ.get("SANDBOX_INPUTS", "")
    for item in job["exercises"]:
        send({"start": item["key"]})
        namespace: dict = {"__name__": "__answer__"}
        try:
            exec(compile(item["source"], f"<{item['name']}>", "exec"), namespace)  # noqa: S102
            fn = namespace.get(item["name"])
            if fn is None:
                send({"result": item["key"], "kind": "missing", "en": f"`{item['name']}` is not defined",
                      "hi": f"`{item['name']}` define नहीं है"})
                continue
            if item["mode"] == "stored":
                inputs = load(os.path.join(folder, item["inputs"]), weights_only=False)
                try:
                    records = run_calls(fn, inputs)
                except NotAttempted:
                    records = [{"status": "not_attempted"}]
                buf = io.BytesIO()
                save({"records": records}, buf)
                send({"result": item["key"], "kind": "records"}, buf.getvalue())
            else:
                module = importlib.import_module(f"course_utils.exercises.{item['module']}")
                outcome = getattr(module, f"ex{item['number']}").grade(fn)
                send({"result": item["key"], "kind": "shipped", "outcome": outcome.status,
                      "en": str(outcome.en)[:500], "hi": str(outcome.hi)[:500]})
        except BaseException as err:  # noqa: BLE001  the learner's definitions failed to run
            send({"result": item["key"], "kind": "error",
                  "en": f"defining `{item['name']}` raised {type(err).__name__}: {err}"[:500],
                  "hi": f"`{item['name']}` define करते समय {type(err).__name__} आई: {err}"[:500]})
    send({"finished": True})


def main() -> None:
    phase = sys.argv[1]
    job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    sys.stdin.close()
    (run_notebook if phase == "notebook" else run_answers)(job)
    sys.stdout.flush()
    os._exit(0)                          # threads or atexit hooks the learner left behind do not keep it alive


if __name__ == "__main__":
    main()
