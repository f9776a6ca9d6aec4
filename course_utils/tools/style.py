"""Style checks of Hindi prose against its English twin: terms of art kept, mistranslations refused."""
from __future__ import annotations

import re

from ..glossary import load_terms


def _prose(text: str) -> str:
    """Markdown without code spans, code blocks, LaTeX and link targets, where terms are not prose."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]+`", " ", text, flags=re.S)
    return re.sub(r"\]\([^)]*\)|<[^>]+>", " ", text)


def _has_word(text: str, word: str) -> bool:
    """True if `word` occurs as a whole word: 'भार' (weight) must not match inside 'भारी' (heavy)."""
    edge = r"[\w\u0900-\u097F]"  # a Devanagari vowel sign is not \w, so name the block explicitly
    return re.search(rf"(?<!{edge}){re.escape(word)}(?!{edge})", text) is not None


def check_pair(hindi: str, english: str) -> list[str]:
    """Problems in a Hindi cell against its English twin: mistranslations, or terms of art dropped."""
    hi, en = _prose(hindi), _prose(english)
    problems = []
    for term in load_terms():
        for bad in term.avoid:
            if _has_word(hi, bad):
                problems.append(f"'{bad}' mistranslates '{term.name}': keep the English term ({term.hi})")
        if term.used_in(en) and not term.used_in(hi):
            problems.append(f"the English cell says '{term.name}' but the Hindi cell has none of {list(term.forms)}")
    return problems
