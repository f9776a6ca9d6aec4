"""No stored output of any view shows a raw Python repr (issue 21, D5).

A cell whose last line is a value that has no readable repr (`setup(seed=0)` returns a torch.Generator)
stores `<torch._C.Generator at 0x7f36f3053150>`; a figure left open stores `<Figure size 640x480 with 1 Axes>`.
nbval sanitizes the address, so its comparison passes, but the learner sees the line. This scans the text/plain of
every stored output (results, displays, printed text) of every chapter and solution view, in both languages.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VIEWS = sorted(p for tree in ("notebooks/hi", "notebooks/en", "solutions/hi", "solutions/en")
               for p in (ROOT / tree).glob("*.ipynb"))
RAW_REPR = re.compile(r"<[A-Za-z_][\w.]*(?: object)? at 0x[0-9a-fA-F]+>"      # <torch._C.Generator at 0x7f...>
                      r"|<Figure size \d+(?:\.\d+)?x\d+(?:\.\d+)? with \d+ Axes>")


def raw_reprs(nb: dict) -> list[tuple[int, str]]:
    """(cell index, repr) for every raw repr a viewer shows in a notebook's stored outputs: printed text, and the
    text/plain of a result or display that has nothing richer (a figure's PNG is shown instead of its text/plain)."""
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            shown_plain = not any(k != "text/plain" for k in data)
            texts = [out.get("text", "")] + ([data.get("text/plain", "")] if shown_plain else [])
            for text in texts:
                text = "".join(text) if isinstance(text, list) else text
                found += [(i, m.group(0)) for m in RAW_REPR.finditer(text)]
    return found


def _nb(*outputs) -> dict:
    return {"cells": [{"cell_type": "code", "source": "", "outputs": list(outputs)}]}


@pytest.mark.parametrize("output", [
    {"output_type": "execute_result", "data": {"text/plain": "<torch._C.Generator at 0x7f36f3053150>"}},
    {"output_type": "execute_result", "data": {"text/plain": ["[<matplotlib.lines.Line2D at 0x7f0a1b2c3d40>]"]}},
    {"output_type": "display_data", "data": {"text/plain": "<Figure size 640x480 with 1 Axes>"}},
    {"output_type": "stream", "name": "stdout", "text": "model: <__main__.Net object at 0x7ffd0c1e2a10>\n"},
])
def test_a_planted_raw_repr_is_found(output):
    assert raw_reprs(_nb(output)), output


@pytest.mark.parametrize("output", [
    {"output_type": "execute_result", "data": {"text/plain": "tensor([0.1000, 0.2000])"}},
    {"output_type": "display_data", "data": {"text/plain": "<Figure size 640x480 with 1 Axes>", "image/png": "iVBO"}},
    {"output_type": "stream", "name": "stdout", "text": "address 0x7f is not a repr; <b>bold</b> neither\n"},
    {"output_type": "display_data", "data": {"text/plain": "sliders: beta = 8 (यह cell चलाकर इन्हें हिलाएँ / run "
                                                           "this cell to move them)"}},
])
def test_readable_outputs_pass(output):
    assert raw_reprs(_nb(output)) == []


def test_the_views_exist():
    assert len(VIEWS) >= 4 * 12, [p.name for p in VIEWS]


@pytest.mark.parametrize("view", VIEWS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_stored_output_shows_a_raw_repr(view):
    found = raw_reprs(json.loads(view.read_text(encoding="utf-8")))
    assert not found, (f"{view.relative_to(ROOT)}: cells {found} store a raw repr; end the cell with a readable "
                       "value, `_ = ...` or plt.show(), and rebuild the view")
