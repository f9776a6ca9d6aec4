"""Re-run notebook sources with other draws of the data, to prove their asserts do not depend on one draw.

The loader reads its split seed from COURSE_SPLIT_SEED (course_utils.data). The course splits MNIST's
10,000 official test digits with seed 0 on every machine. Every assert in every notebook must hold on any
draw, so this re-executes each source (nothing is written) with seeds 1, 2, ... and reports each failure
with its cell. (Zoo models keep their own split, seed 0, whatever the seed: zoo.load_data.)

    python -m course_utils.tools.split_seeds                  # every source, seeds 1 and 2
    python -m course_utils.tools.split_seeds 03 --seeds 1 2 3  # sources whose path contains 03
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator

from ..data import SPLIT_SEED_VAR
from .build import ROOT, BuildError, execute, read_source, sources


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for a block (executed notebooks inherit them), then restore them."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute_all(src_names: list[str] | None, label: str, **env: str) -> list[str]:
    """Execute the chosen sources (nothing is written) with environment `env`; one line per failure."""
    todo = sources(src_names)
    if not todo:
        raise BuildError(f"no source matches {src_names}")
    failures: list[str] = []
    with environment(**env):
        for src in todo:
            rel = src.relative_to(ROOT).as_posix()
            start = time.perf_counter()
            try:
                execute(read_source(src), src.parent)
                print(f"✓ {label} {rel} ({time.perf_counter() - start:.0f} s)", flush=True)
            except BuildError as err:
                failures.append(f"{label} {rel}: {err}")
                print(f"✗ {label} {rel}:\n{err}", flush=True)
    return failures


def run(src_names: list[str] | None, seeds: list[int]) -> list[str]:
    """Execute the chosen sources once per seed; return one line per failure (empty when all pass)."""
    return [f for seed in seeds for f in execute_all(src_names, f"seed {seed}", **{SPLIT_SEED_VAR: str(seed)})]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.split_seeds", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="only sources whose path contains one of these, e.g. 03")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2], help="split seeds to try (default 1 2)")
    args = parser.parse_args(argv)
    if any(s == 0 for s in args.seeds):
        print("seed 0 is the build's own draw; `python -m course_utils.tools.build` runs it", file=sys.stderr)
    try:
        failures = run(args.names, args.seeds)
    except BuildError as err:
        print(f"✗ {err}", file=sys.stderr)
        return 2
    print(f"{'✗' if failures else '✓'} {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
