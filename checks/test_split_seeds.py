"""Every chapter and solution still passes its asserts on other draws of the data.

Not part of `make test` (it re-executes every notebook twice): run it alone with `make split-seeds`.
Seeds come from the environment variable SPLIT_SEEDS (default "1 2").
"""
import os

import pytest

from course_utils.tools.build import ROOT, sources
from course_utils.tools.split_seeds import run

SEEDS = [int(s) for s in os.environ.get("SPLIT_SEEDS", "1 2").split()]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("src", sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebook_holds_on_another_draw(src, seed):
    failures = run([src.relative_to(ROOT).as_posix()], [seed])
    assert failures == [], "\n".join(failures)
