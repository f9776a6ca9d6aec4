"""Every relative link and anchor in every view and README resolves, in the same language."""
import re
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from course_utils.tools.build import ROOT

VIEWS = sorted(p for tree in ("notebooks", "solutions") for lang in ("hi", "en")
               for p in (ROOT / tree / lang).glob("*.ipynb"))
DOCS = [ROOT / "README.md", ROOT / "README.hi.md", ROOT / "CONTRIBUTING.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)|href=\"([^\"]+)\"")


def markdown_of(path: Path) -> str:
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    nb = nbformat.read(path, as_version=4)
    texts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for c in nb.cells:
        for out in c.get("outputs", []):
            texts.append(out.get("data", {}).get("text/markdown", ""))
    return "\n".join(texts)


def anchors_of(path: Path) -> set[str]:
    text = markdown_of(path)
    ids = set(re.findall(r"<a (?:id|name)=\"([^\"]+)\"", text))
    for heading in re.findall(r"^#+\s+(.+)$", text, flags=re.M):
        ids.add(heading.strip().replace(" ", "-"))  # JupyterLab's heading ids
        ids.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))  # GitHub's
    return ids


def links_of(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", markdown_of(path), flags=re.S)
    return [a or b for a, b in LINK.findall(text)]


def test_there_are_views_to_check():
    assert len(VIEWS) >= 4


@pytest.mark.parametrize("path", VIEWS + DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_and_anchors_resolve(path):
    broken = []
    for link in links_of(path):
        if re.match(r"[a-z]+:", link) or link.startswith("mailto"):
            continue
        target, _, anchor = link.partition("#")
        file = (path.parent / unquote(target)).resolve() if target else path
        if not file.exists():
            broken.append(f"{link}: no file {file}")
        elif anchor and anchor not in anchors_of(file):
            broken.append(f"{link}: no anchor #{anchor} in {file.name}")
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_views_link_into_their_own_language(path):
    other = "en" if path.parent.name == "hi" else "hi"
    nb = nbformat.read(path, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    crossing = [a or b for a, b in LINK.findall(prose) if f"/{other}/" in (a or b)]
    assert not crossing, f"a {path.parent.name} view links to {other} views: {crossing}"
