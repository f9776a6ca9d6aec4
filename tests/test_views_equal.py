"""Each Hindi view's code cells and stored outputs equal its English twin's, cell by cell.

This is what lets `make test-quick` run nbval over the English views only: the Hindi views hold the
same code and the same outputs, so they would pass or fail together.
"""
import nbformat
import pytest

from course_utils.tools.build import ROOT

PAIRS = sorted(p for tree in ("notebooks", "solutions") for p in (ROOT / tree / "en").glob("*.ipynb"))


def _code_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def test_every_english_view_has_a_hindi_twin():
    assert PAIRS
    for en in PAIRS:
        assert (en.parent.parent / "hi" / en.name).exists(), f"{en} has no Hindi twin"


@pytest.mark.parametrize("en", PAIRS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_hindi_code_and_outputs_equal_english_cell_by_cell(en):
    hi_cells, en_cells = _code_cells(en.parent.parent / "hi" / en.name), _code_cells(en)
    assert len(hi_cells) == len(en_cells), f"{len(hi_cells)} code cells in hi, {len(en_cells)} in en"
    for i, (h, e) in enumerate(zip(hi_cells, en_cells)):
        assert h.source == e.source, f"code cell {i} ({e.get('id')}) differs between hi and en"
        assert h.get("outputs") == e.get("outputs"), f"outputs of code cell {i} ({e.get('id')}) differ"
        assert h.get("execution_count") == e.get("execution_count"), f"code cell {i}: execution counts differ"
