"""Compute chapter 12's table of every model in the course and write it to course_utils/model_table.json (author's tool).

    python -m course_utils.tools.model_table          # recompute every row (a few minutes on one thread) and write
    python -m course_utils.tools.model_table --show   # print the committed table

Every row comes from course_utils.comparison.table_row on the course split's test digits, the same function the
chapter calls to recompute two rows live. The file pins each row's checkpoint SHA-256s:
tests/test_model_table.py fails when a zoo checkpoint changed since the table was made, and when a cheap column
recomputed now disagrees with the stored one. Run it with COURSE_DATA=../shared/data and COURSE_THREADS=1.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from course_utils import comparison
from course_utils import zoo

TABLE = comparison.TABLE_PATH
COMMAND = comparison.TABLE_COMMAND


def make(names: list[str] | None = None) -> dict:
    """The whole table as a dict: settings, the real-vs-real floor and one row per model."""
    ctx = comparison.table_context()
    rows = []
    for name in names or list(comparison.TABLE_MODELS):
        start = time.perf_counter()
        rows.append(comparison.table_row(name, ctx))
        print(f"{name:18s} {time.perf_counter() - start:6.1f} s", flush=True)
    return {"about": "chapter 12's table of every model of the course; made by " + COMMAND,
            "settings": ctx["settings"], "data_sha256": ctx["data_sha256"], "floor": ctx["floor"],
            "checkpoints": {"digit_judge": ctx["judge_sha256"]}, "rows": rows,
            "threads": torch.get_num_threads(), "torch": torch.__version__,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def load(path: Path = TABLE) -> dict:
    """The committed table; a clear error naming the command if it is missing or unreadable."""
    return comparison.load_table(path)


def write(table: dict, path: Path = TABLE) -> None:
    """Write the table atomically (never a half-written file)."""
    zoo.atomic_write({path: (json.dumps(table, indent=1, ensure_ascii=False) + "\n").encode()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--show", action="store_true", help="print the committed table and exit")
    args = parser.parse_args(argv)
    if args.show:
        print(comparison.format_table(load()))
        return 0
    torch.set_num_threads(int(__import__("os").environ.get("COURSE_THREADS", "1")))
    table = make()
    write(table)
    print(comparison.format_table(table))
    print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
