"""Glossary: terms of art that stay in English inside Hindi prose (the check lives in course_utils.tools.style)."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GLOSSARY_FILE = Path(__file__).with_name("glossary.toml")


@dataclass(frozen=True)
class Term:
    """One term of art: its accepted spellings, a gloss in each language, mistranslations to avoid."""

    forms: tuple[str, ...]
    hi: str
    en: str
    avoid: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.forms[0]

    def used_in(self, text: str) -> bool:
        """True if any form occurs in `text` as a whole word, in any case."""
        return any(re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", text, re.I) for f in self.forms)


@lru_cache(maxsize=1)
def load_terms(path: Path = GLOSSARY_FILE) -> tuple[Term, ...]:
    """All glossary terms, read from glossary.toml."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    terms = []
    for i, t in enumerate(data.get("term", [])):
        missing = {"forms", "hi", "en"} - set(t)
        if missing:
            raise ValueError(f"{path}: term #{i + 1} lacks {sorted(missing)}")
        terms.append(Term(tuple(t["forms"]), t["hi"], t["en"], tuple(t.get("avoid", []))))
    return tuple(terms)


def glossary_table(names: list[str]) -> str:
    """A bilingual Markdown table of the named terms, for a chapter's glossary box."""
    by_name = {f.lower(): t for t in load_terms() for f in t.forms}
    unknown = [n for n in names if n.lower() not in by_name]
    if unknown:
        raise KeyError(f"not in the glossary: {unknown}; add them to {GLOSSARY_FILE.name}")
    rows = [f"| **{n}** | {by_name[n.lower()].hi} | {by_name[n.lower()].en} |" for n in names]
    return "| term | हिंदी में | in English |\n| --- | --- | --- |\n" + "\n".join(rows)


def show_glossary(names: list[str]) -> None:
    """Display the glossary box of a chapter's new terms."""
    from IPython.display import Markdown, display

    display(Markdown("📖 **Glossary / शब्दावली**\n\n" + glossary_table(names)))
