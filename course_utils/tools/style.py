"""Style checks of Hindi prose against its English twin and the style sheet in glossary.toml.

The glossary check keeps terms of art in English and refuses their mistranslations; the
style sheet (``[style]`` in ``course_utils/glossary.toml``) adds one nukta policy, one form of
address, a colon after bold run-in headings, words with a wrong sense, and one Hindi title per
chapter; a heading without Hindi; against the English twin, inline maths that differ; and
the one piece of gender agreement a machine can judge without parsing, a possessive or agreeing
word right before an English term of the other gender ("की encoder"). Every problem comes with a
suggested fix. The rest of gender agreement is reviewed by a person: ``--gender`` lists the
sentences to read, ``--unlisted`` the English words that have no gender yet (CONTRIBUTING.md,
"Hindi style"). The glossary's own Hindi glosses are checked when no path is given.

    python -m course_utils.tools.style                       # every source, README.hi.md, INSTRUCTORS.hi.md
    python -m course_utils.tools.style notebooks/source/03_autoencoder_family.md
    python -m course_utils.tools.style --gender notebooks/source/03_autoencoder_family.md
    python -m course_utils.tools.style --unlisted            # English words in Hindi without a gender
"""
from __future__ import annotations

import argparse
import re
import sys
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..glossary import GLOSSARY_FILE, load_terms

ROOT = Path(__file__).resolve().parents[2]
NUKTA = "\u093c"
DEV = "\u0900-\u0963\u0966-\u097f"        # Devanagari letters, vowel signs, nukta, digits; not the dandas । ॥
EDGE = rf"[\w{DEV}]"                       # a vowel sign is not \w, so the block is named explicitly
DEV_WORD = re.compile(rf"[{DEV}]+")


@dataclass(frozen=True)
class Problem:
    """One style problem: what is wrong, the suggested fix, and the offending text."""

    message: str
    fix: str
    found: str = ""

    def __str__(self) -> str:
        return f"{self.message} → {self.fix}"


def _nfc(text: str) -> str:
    """NFC: a precomposed nukta letter (U+0958-U+095F) becomes letter + U+093C, so both spellings compare equal."""
    return unicodedata.normalize("NFC", text)


def _prose(text: str) -> str:
    """Markdown without code spans, code blocks, LaTeX and link targets, where terms are not prose."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]+`", " ", text, flags=re.S)
    return re.sub(r"\]\([^)]*\)|<[^>]+>", " ", text)


def _has_word(text: str, word: str) -> bool:
    """True if `word` occurs as a whole word: 'भार' (weight) must not match inside 'भारी' (heavy)."""
    return re.search(rf"(?<!{EDGE}){re.escape(word)}(?!{EDGE})", text) is not None


def _words(text: str) -> list[str]:
    """The Devanagari words of `text`, in order, each once."""
    return list(dict.fromkeys(DEV_WORD.findall(text)))


# ---------------------------------------------------------------- the style sheet

@dataclass(frozen=True)
class SenseRule:
    why: str
    words: dict[str, str]
    en: re.Pattern | None
    right_en: re.Pattern | None
    allowed: tuple[str, ...]


@dataclass(frozen=True)
class StyleSheet:
    gender: dict[str, str]               # English term -> "masculine" / "feminine"
    refused_nukta: tuple[str, ...]       # letters (NFC, i.e. letter + U+093C) never written
    nukta_words: dict[str, str]          # whole word without nukta -> required spelling
    nukta_stems: dict[str, str]          # word start without nukta -> required start
    address: dict[str, str]              # refused form of address -> the "-ें" form
    sentence_ends: frozenset[str]        # last words that make a bold "…।" a sentence, not a heading
    sense: tuple[SenseRule, ...]
    titles: dict[str, str]               # "NN" -> Hindi title
    agree_m: frozenset[str] = frozenset()    # words that take a masculine noun after them (का, वाला, नया)
    agree_f: frozenset[str] = frozenset()    # their feminine forms (की, वाली, नई)
    modifiers: frozenset[str] = frozenset()  # English adjectives allowed between such a word and the term
    ends: frozenset[str] = frozenset()       # Hindi words after which a noun phrase has certainly ended
    not_after_ka: frozenset[str] = frozenset()  # का/की followed by these is a compound postposition (की तरह)


def _norm_map(table: dict[str, str]) -> dict[str, str]:
    return {_nfc(k): _nfc(v) for k, v in table.items()}


@lru_cache(maxsize=4)
def load_style(path: Path = GLOSSARY_FILE) -> StyleSheet:
    """The [style] section of glossary.toml, NFC-normalised, with its regexes compiled."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("style")
    if data is None:
        raise ValueError(f"{path}: no [style] section; the Hindi style sheet lives there")
    missing = {"gender", "nukta", "address", "runin", "sense", "titles"} - set(data)
    if missing:
        raise ValueError(f"{path}: [style] lacks {sorted(missing)}")
    gender = {t.lower(): g for g in ("masculine", "feminine") for t in data["gender"].get(g, [])}
    rules = []
    for i, r in enumerate(data["sense"]):
        if "why" not in r or not r.get("words"):
            raise ValueError(f"{path}: [[style.sense]] #{i + 1} needs `why` and `words`")
        rules.append(SenseRule(r["why"], _norm_map(r["words"]),
                               re.compile(r["en"], re.I) if r.get("en") else None,
                               re.compile(r["right_en"], re.I) if r.get("right_en") else None,
                               tuple(_nfc(a) for a in r.get("allowed", []))))
    titles = {str(k): _nfc(v) for k, v in data["titles"].items()}
    bad = [k for k in titles if not re.fullmatch(r"\d\d", k)]
    if bad:
        raise ValueError(f"{path}: [style.titles] keys must be two-digit chapter numbers, not {bad}")
    agree = data.get("agreement", {})
    words = {k: frozenset(_nfc(w) for w in agree.get(k, []))
             for k in ("masculine", "feminine", "ends", "not_after_ka")}
    both = words["masculine"] & words["feminine"]
    if both:
        raise ValueError(f"{path}: [style.agreement] lists {sorted(both)} as both masculine and feminine")
    clash = {t for t in data["gender"].get("masculine", [])} & {t for t in data["gender"].get("feminine", [])}
    if clash:
        raise ValueError(f"{path}: [style.gender] lists {sorted(clash)} as both masculine and feminine")
    return StyleSheet(gender, tuple(_nfc(c) for c in data["nukta"]["refused"]),
                      _norm_map(data["nukta"].get("words", {})), _norm_map(data["nukta"].get("stems", {})),
                      _norm_map(data["address"]), frozenset(_nfc(w) for w in data["runin"]["sentence_ends"]),
                      tuple(rules), titles, words["masculine"], words["feminine"],
                      frozenset(m.lower() for m in agree.get("modifiers", [])), words["ends"],
                      words["not_after_ka"])


# ---------------------------------------------------------------- checks of one Hindi cell

def nukta_problems(hindi: str) -> list[Problem]:
    """Spellings outside the nukta policy: क़ ख़ ग़ written, or ज़/फ़ dropped from a listed word."""
    sheet, problems = load_style(), []
    for w in _words(_nfc(_prose(hindi))):
        if any(c in w for c in sheet.refused_nukta):
            plain = w
            for c in sheet.refused_nukta:
                plain = plain.replace(c, c.replace(NUKTA, ""))
            problems.append(Problem(f'"{w}": क़ ख़ ग़ are written without nukta', f'write "{plain}"', w))
        elif w in sheet.nukta_words:
            problems.append(Problem(f'"{w}" lacks its nukta', f'write "{sheet.nukta_words[w]}"', w))
        else:
            for stem, fixed in sheet.nukta_stems.items():
                if w.startswith(stem) and w[len(stem):len(stem) + 1] != NUKTA:
                    problems.append(Problem(f'"{w}" lacks its nukta', f'write "{fixed + w[len(stem):]}"', w))
                    break
    return problems


def address_problems(hindi: str) -> list[Problem]:
    """Forms of address other than the "-ें" form: "-िए" imperatives, तुम forms, and मत."""
    sheet, problems = load_style(), []
    for w in _words(_nfc(_prose(hindi))):
        if w not in sheet.address:
            continue
        repl = sheet.address[w]
        if w == "मत":
            problems.append(Problem('"मत" goes with the तुम form; the "-ें" form negates with "न"',
                                    'write "न" before the verb ("इस्तेमाल न करें")', w))
        else:
            problems.append(Problem(f'"{w}" is not the course\'s form of address (the "-ें" form, आप)',
                                    f'write "{repl}"', w))
    return problems


RUNIN = re.compile(r"^[ \t]*(?:>[ \t]*)*(?:(?:[-*+]|\d+[.)])[ \t]+)?"     # paragraph, quote or list item start
                   r"(?:<a [^>]*></a>[ \t]*)?"                            # a practice question's anchor
                   r"\*\*(?P<body>[^*\n]+?)\*\*(?P<after>[.।])?", re.M)


def runin_problems(hindi: str) -> list[Problem]:
    """Bold run-in headings that end with "." or "।" (inside or right after the bold) instead of ":"."""
    sheet, problems = load_style(), []
    text = re.sub(r"```.*?```", " ", _nfc(hindi), flags=re.S)  # keep inline code and LaTeX: they show in the fix
    for m in RUNIN.finditer(text):
        body = m["body"].rstrip()
        stop = body[-1] if body[-1:] in (".", "।") else m["after"]
        if not stop:
            continue
        head = body.rstrip(".। ")
        if not head or (stop == "।" and head.split()[-1] in sheet.sentence_ends):
            continue                     # "**...**", or a bold lead sentence ("**Label नहीं चाहिए।**")
        shown = f"**{m['body']}**{m['after'] or ''}"
        problems.append(Problem(f'run-in heading "{shown}" ends with "{stop}"', f'write "**{head}:**"', shown))
    return problems


def sense_problems(hindi: str, english: str) -> list[Problem]:
    """Words used in a sense they must not carry, judged by what the English twin says."""
    hi, en = _nfc(_prose(hindi)), _prose(english)
    problems = []
    for rule in load_style().sense:
        said = rule.en.search(en) if rule.en else None
        if rule.en and not said:
            continue
        text = hi
        for phrase in rule.allowed:
            text = text.replace(phrase, " ")
        found = [w for w in DEV_WORD.findall(text) if w in rule.words]
        if not found or (rule.right_en and len(found) <= len(rule.right_en.findall(en))):
            continue
        for w in dict.fromkeys(found):
            context = f' (the English says "{said.group(0)}")' if said else ""
            problems.append(Problem(f'"{w}": {rule.why}{context}', f'write "{rule.words[w]}"', w))
    return problems


H1 = re.compile(r"^#[ \t]+(\d\d)[ \t]*·[ \t]*(.*?)[ \t]*$", re.M)
SOLUTION_SUBTITLE = "हल"                  # a solution notebook's H1: "# NN · title: हल" (issue 21, D6)
XREF = re.compile(r"(?<![\d.,])(\d\d) · ([^\]\n,;।()|]*)")
SLUG = re.compile(r"(?<![\w/.\-])(\d\d) ([a-z]+(?:_[a-z]+)+)\b")


def _starts_with_title(text: str, title: str) -> bool:
    return text.startswith(title) and not re.match(EDGE, text[len(title):len(title) + 1])


def title_problems(hindi: str, kind: str | None = None) -> list[Problem]:
    """Chapter titles that differ from the style sheet: in an H1 or in an "NN · title" cross-reference.

    kind "chapter": the H1 is "NN · title" or "NN · title: subtitle"; "solution": "NN · title: हल";
    None (the build, which cannot tell them apart): either. (A heading must also carry Hindi, see
    heading_problems: a title of terms only, such as "ELBO", needs a Hindi subtitle in a chapter H1.)
    """
    titles, problems = load_style().titles, []
    text = _nfc(_prose(hindi))
    for m in H1.finditer(text):
        nn, rest = m[1], m[2]
        if nn not in titles:
            problems.append(Problem(f'H1 "{m.group(0)}": chapter {nn} has no title in the style sheet',
                                    "add it to [style.titles] in course_utils/glossary.toml", m.group(0)))
            continue
        title = titles[nn]
        sub = rest.split(": ", 1)[1] if ": " in rest else ""
        if kind == "solution":
            ok, want = rest == f"{title}: {SOLUTION_SUBTITLE}", f"# {nn} · {title}: {SOLUTION_SUBTITLE}"
        else:
            ok = rest == title or rest.startswith(f"{title}: ")
            want = f"# {nn} · {title}" + (f": {sub}" if sub else "")
        if not ok:
            problems.append(Problem(f'H1 "{m.group(0)}" differs from chapter {nn}\'s title "{title}"',
                                    f'write "{want}"', m.group(0)))
    for line in text.splitlines():
        if H1.match(line):
            continue
        for m in XREF.finditer(line):
            nn, rest = m[1], m[2].rstrip()
            if nn not in titles:
                problems.append(Problem(f'"{m[1]} · {rest}": chapter {nn} has no title in the style sheet',
                                        "use a chapter number from [style.titles]", m.group(0)))
            elif not _starts_with_title(rest, titles[nn]):
                problems.append(Problem(f'cross-reference "{nn} · {rest}" differs from chapter {nn}\'s title',
                                        f'write "{nn} · {titles[nn]}"', m.group(0).rstrip()))
        for m in SLUG.finditer(line):
            nn = m[1]
            if nn in titles:
                problems.append(Problem(f'"{m.group(0)}" names chapter {nn} by its file name',
                                        f'write "{nn} · {titles[nn]}"', m.group(0)))
    return problems


# ---------------------------------------------------------------- agreement, headings and inline maths

LATIN_WORD = re.compile(r"[A-Za-zα-ωΑ-Ω][A-Za-z0-9α-ωΑ-Ω]*(?:[-'’][A-Za-z0-9α-ωΑ-Ω]+)*")
DEV_TOKEN = re.compile(rf"[{DEV}]+(?:-[{DEV}]+)*")
NUMBER = re.compile(r"[−-]?\d[\d.,]*%?")
PUNCT_END = set("।,;:?!()—–\"“”'‘’[]/|")
PHRASE_END = set("।,;:?!)|")                # punctuation that closes a noun phrase ("(" or a quote may not)


def _plurals(term: str) -> list[str]:
    if term.endswith("y") and term[-2:-1] not in "aeiou":
        return [term, term[:-1] + "ies"]
    if term.endswith("is"):
        return [term, term[:-2] + "es"]
    if term.endswith("ix"):
        return [term, term[:-2] + "ices", term + "es"]
    return [term, term + "s", term + "es"]


@lru_cache(maxsize=4)
def _gender_forms(path: Path = GLOSSARY_FILE) -> dict[str, tuple[str, str, bool]]:
    """Every spelling of a gendered term (singular and plural, lower case) -> (term, gender, is plural)."""
    gender = load_style(path).gender
    forms: dict[str, tuple[str, str, bool]] = {}
    for term, g in gender.items():
        head, _, last = term.rpartition(" ")
        for n, plural in enumerate(_plurals(last)):
            forms.setdefault(f"{head} {plural}".strip(), (term, g, n > 0))
    return forms


def _tokens(hindi: str) -> list[tuple[str, str]]:
    """Hindi prose as (kind, text) tokens: "lat" (an English word), "dev", "num", "end" (punctuation, a
    formula or a code span, which end a noun phrase) or "other" (a word glued to another script)."""
    text = re.sub(r"```.*?```", " § ", _nfc(hindi), flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]+`", " § ", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)|<[^>]+>", " ] ", text)
    text = text.replace("*", " ").replace("_", " ")
    out = []
    for chunk in text.split():
        lead = []
        while chunk and chunk[0] in PUNCT_END | {"§", "["}:
            lead.append(("end", chunk[0]))
            chunk = chunk[1:]
        trail = []
        while chunk and chunk[-1] in PUNCT_END | {"§", ".", "…"}:
            trail.insert(0, ("end", chunk[-1]))
            chunk = chunk[:-1]
        out += lead
        if chunk:
            if LATIN_WORD.fullmatch(chunk):
                out.append(("lat", chunk))
            elif DEV_TOKEN.fullmatch(chunk):
                out.append(("dev", chunk))
            elif NUMBER.fullmatch(chunk):
                out.append(("num", chunk))
            else:
                out.append(("other", chunk))
        out += trail
    return out


def agreement_problems(hindi: str) -> list[Problem]:
    """A possessive or agreeing adjective directly before a listed English term of the other gender.

    Refused: "की encoder", "का image", "नया dimension", "वाली loss". Judged only where the noun phrase
    certainly ends right after the term (see [style.agreement] in glossary.toml), so that "की loss
    curve" (curve is feminine) and "की training loss" (two English nouns) are never refused; के is
    never judged (it is also the oblique and plural masculine).
    """
    sheet, forms = load_style(), _gender_forms()
    toks, problems = _tokens(hindi), []
    for i, (kind, word) in enumerate(toks):
        if kind != "dev" or (word not in sheet.agree_m and word not in sheet.agree_f):
            continue
        j = i + 1
        while j < len(toks) and toks[j][0] == "lat":
            j += 1
        run = [w for _, w in toks[i + 1:j]]
        if not run:
            continue
        after = toks[j] if j < len(toks) else ("end", "")
        then = toks[j + 1] if j + 1 < len(toks) else ("end", "")
        ended = (after[0] == "end" and (after[1] in PHRASE_END or after[1] == "")) or (
            after[0] == "dev" and after[1] in sheet.ends
            and not (after[1] in ("का", "की") and then[1] in sheet.not_after_ka))
        if not ended:
            continue                 # the phrase may go on: "की loss वाली curve", "का image पर असर"
        low = [w.lower() for w in run]
        for k in range(len(low)):
            if " ".join(low[k:]) in forms:
                break
        else:
            continue
        if not all(m in sheet.modifiers for m in low[:k]):
            continue                                     # two noun phrases side by side, or an unknown head
        term, gender, plural = forms[" ".join(low[k:])]
        said = "masculine" if word in sheet.agree_m else "feminine"
        if said == gender:
            continue
        phrase, shown = " ".join([word] + run), " ".join(run[k:])
        other = _other_form(word, gender, plural)
        fix = f'write "{" ".join([other] + run)}"' if other else f"make \"{word}\" agree with {gender} '{shown}'"
        problems.append(Problem(f'"{phrase}": \'{shown}\' is {gender} in the style sheet ([style.gender]), '
                                f'"{word}" is {said}', fix, phrase))
    return problems


def _other_form(word: str, gender: str, plural: bool) -> str | None:
    """The agreeing form: का -> की; की + a masculine plural -> के; नई -> नया; वाली + plural -> वाले."""
    if gender == "feminine":
        special = {"का": "की", "नया": "नई", "कौन-सा": "कौन-सी"}
        return special.get(word) or (word[:-1] + "ी" if word.endswith("ा") else None)
    masc = {"की": "का", "नई": "नया", "कौन-सी": "कौन-सा"}.get(word) or (word[:-1] + "ा" if word.endswith("ी") else None)
    if masc and plural:
        return {"नया": "नए", "कौन-सा": "कौन-से"}.get(masc) or masc[:-1] + "े"
    return masc


HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$", re.M)


def _heading_text(line: str) -> str:
    text = re.sub(r"<a [^>]*></a>|\*+|`[^`\n]+`|\$[^$\n]+\$", " ", line)
    return " ".join(text.split())


# Hindi for the headings the course repeats in every chapter (issue 21, D6): the fix a refused heading is given.
HEADING_HINDI = [
    (re.compile(r"^Practice questions$", re.I), "अभ्यास प्रश्न"),
    (re.compile(r"^Summary$", re.I), "सारांश"),
    (re.compile(r"^Environment check$", re.I), "Environment की जाँच"),
    (re.compile(r"^Learning (?:goals|objectives)$", re.I), "सीखने के लक्ष्य"),
    (re.compile(r"^Exercises?\b", re.I), "अभ्यास"),
    (re.compile(r"^Questions?\b", re.I), "प्रश्न"),
]


def _heading_fix(level: str, raw: str) -> str:
    """The suggested fix for a Hindi heading without Hindi: the course's word where one is decided."""
    h1 = H1.match("# " + raw)
    if h1:
        nn, rest = h1[1], h1[2]
        title = load_style().titles.get(nn, rest.split(": ")[0])
        if rest.endswith(": solutions") or rest == title:
            wanted = SOLUTION_SUBTITLE if rest.endswith(": solutions") else "<हिंदी में subtitle>"
            return f'write "# {nn} · {title}: {wanted}"'
    lead = re.match(r"^((?:\d+(?:\.\d+)*\.?\s+)?)(.*)$", raw)
    number, rest = lead[1], lead[2]
    for pattern, hindi in HEADING_HINDI:
        m = pattern.match(rest)
        if m:
            return f'write "{level} {number}{hindi}{rest[m.end():]}"'
    return "write the heading in Hindi, keeping the terms of art (and code) in English"


def heading_problems(hindi: str, english: str = "") -> list[Problem]:
    """A heading in a Hindi cell that carries no Hindi (no Devanagari outside code, maths and anchors).

    Every heading a Hindi view shows is Hindi, with terms of art in English: "## Summary", "## Practice
    questions", "### Exercise 2: `fit`" and "## 2. Encoding to a distribution" are refused ("## सारांश",
    "## अभ्यास प्रश्न", "### अभ्यास 2: `fit`"); so is a chapter H1 whose title is terms only ("# 05 · ELBO")
    unless a Hindi subtitle follows, and a solution H1 "# NN · title: solutions" ("# NN · title: हल").
    `english` (the twin) is not needed; it is accepted for the callers that pass it.
    """
    problems = []
    for level, h in HEADING.findall(re.sub(r"```.*?```", " ", _nfc(hindi), flags=re.S)):
        text = _heading_text(h)
        if DEV_WORD.search(text):
            continue
        shown = f"{level} {h}"
        problems.append(Problem(f'heading "{shown}" carries no Hindi (a Hindi view shows every '
                                "heading in Hindi, terms of art in English)",
                                _heading_fix(level, h), h))
    return problems


GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
         "lambda": "λ", "mu": "μ", "sigma": "σ", "tau": "τ", "theta": "θ", "phi": "φ", "pi": "π",
         "omega": "ω", "Sigma": "Σ", "Delta": "Δ", "Phi": "Φ"}
SIMPLE_MATH = re.compile(r"\\?[A-Za-z]+(?:_\{?[A-Za-z0-9]+\}?)?")


def _inline_maths(md: str) -> list[str]:
    """Every inline formula of a Markdown cell (not $$ blocks, not dollars inside code), whitespace collapsed."""
    text = re.sub(r"```.*?```", " ", md, flags=re.S)
    text = re.sub(r"`[^`\n]+`", " ", text)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    return [re.sub(r"\s+", " ", m) for m in re.findall(r"(?<![\\$])\$([^$\n]+)\$", text)]


def _plain(md: str) -> str:
    """Prose without code and formulas: where a symbol written as Unicode (β) can be found."""
    return re.sub(r"```.*?```|`[^`\n]+`|\$\$.*?\$\$|\$[^$\n]+\$", " ", md, flags=re.S)


def maths_problems(hindi: str, english: str) -> list[Problem]:
    """Inline formulas ($...$) of a Hindi cell that differ from its English twin's, as multisets.

    Harmless rewrites pass: a single symbol used more or less often (a Hindi sentence may name $K$
    again), a symbol written once as $\\beta$ and once as β, and "$= x$" / "$\\approx x$" in Hindi
    where the English says "is $x$" / "about $x$". A changed formula, a dropped one, or a stray space
    inside the dollars ("$x $", which some renderers leave as text) is refused.
    """
    from collections import Counter

    hi, en = Counter(_inline_maths(_nfc(hindi))), Counter(_inline_maths(_nfc(english)))
    if hi == en:
        return []
    only_hi, only_en = hi - en, en - hi

    def simple(m):
        return SIMPLE_MATH.fullmatch(m.strip()) is not None and m == m.strip()

    def unicode_of(m):
        name = m.strip().lstrip("\\")
        return GREEK.get(name, name if len(name) == 1 else None) if m.strip().startswith("\\") else None

    def harmless(m, mine, theirs, their_text):
        if simple(m) and (m in theirs or (unicode_of(m) and unicode_of(m) in their_text)):
            return True
        rel = re.match(r"^(?:=|\\approx|≈)\s*(.+)$", m)
        return bool(rel and theirs.get(rel.group(1), 0) > 0 and theirs[rel.group(1)] >= mine.get(rel.group(1), 0))

    hi_text, en_text = _plain(_nfc(hindi)), _plain(english)
    bad_hi = [m for m in only_hi if not harmless(m, hi, en, en_text)]
    bad_en = [m for m in only_en if not (harmless(m, en, hi, hi_text)
                                           or any(re.match(r"^(?:=|\\approx|≈)\s*" + re.escape(m) + "$", h) for h in hi))]
    if not bad_hi and not bad_en:
        return []
    def shown(ms):
        return ", ".join(f"${m}$" for m in sorted(ms)) or "nothing"

    return [Problem(f"inline maths differ from the English twin's: Hindi has {shown(bad_hi)}, English has {shown(bad_en)}",
                    "write the same formulas in both cells (the same symbols, character for character)",
                    " ".join(bad_hi + bad_en))]


def check_style(hindi: str, english: str, kind: str | None = None) -> list[Problem]:
    """Every style-sheet problem of one Hindi cell against its English twin, each with a fix."""
    return (nukta_problems(hindi) + address_problems(hindi) + runin_problems(hindi)
            + sense_problems(hindi, english) + title_problems(hindi, kind) + agreement_problems(hindi)
            + heading_problems(hindi, english) + maths_problems(hindi, english))


def glossary_problems(hindi: str, english: str) -> list[Problem]:
    """Mistranslations of terms of art, and terms the English twin uses but the Hindi cell drops."""
    hi, en = _nfc(_prose(hindi)), _prose(english)
    problems = []
    for term in load_terms():
        for bad in term.avoid:
            if _has_word(hi, _nfc(bad)):
                problems.append(Problem(f"'{bad}' mistranslates '{term.name}'",
                                        f"keep the English term ({term.hi})", bad))
        if term.used_in(en) and not term.used_in(hi):
            problems.append(Problem(f"the English cell says '{term.name}' but the Hindi cell has none of "
                                    f"{list(term.forms)}", f"use '{term.name}' in the Hindi cell", term.name))
    return problems


def gloss_problems(path: Path = GLOSSARY_FILE) -> list[tuple[str, Problem]]:
    """(term, problem) for the glossary's own Hindi glosses, which every chapter's glossary box prints:
    a word on any term's avoid list ("वज़न" in a gloss, though "weights" refuses it), and the style
    sheet's checks that need no English twin (nukta, address, words with a wrong sense, agreement)."""
    terms, found = load_terms(path), []
    for term in terms:
        hi = _nfc(term.hi)
        for other in terms:
            for bad in other.avoid:
                if _has_word(hi, _nfc(bad)):
                    found.append((term.name, Problem(f"its Hindi gloss uses '{bad}', which the glossary refuses "
                                                     f"for '{other.name}'", f"write '{other.name}'", bad)))
        found += [(term.name, p) for p in nukta_problems(hi) + address_problems(hi)
                  + sense_problems(hi, term.en) + agreement_problems(hi)]
    return found


def check_pair(hindi: str, english: str) -> list[str]:
    """Problems in a Hindi cell against its English twin: mistranslations, or terms of art dropped."""
    return [str(p) for p in glossary_problems(hindi, english)]


# ---------------------------------------------------------------- places: sources and README.hi.md

def _tags(cell) -> list[str]:
    return [t for t in cell.get("metadata", {}).get("tags", []) if t in ("lang-hi", "lang-en")]


def _kind(path: Path) -> str | None:
    parts = path.resolve().parts
    return "solution" if "solutions" in parts else "chapter" if "notebooks" in parts else None


def check_source(path: Path) -> list[tuple[int, Problem]]:
    """(cell index, problem) for every Hindi cell of a source that is followed by its English twin.

    Cell indices are the build's (jupytext cells of the source), so both report the same cell.
    """
    import jupytext

    path = Path(path)
    nb = jupytext.read(path, fmt="md:myst")
    kind, found, h1_cell = _kind(path), [], None
    for i, (cell, twin) in enumerate(zip(nb.cells, nb.cells[1:])):
        if cell.cell_type != "markdown" or _tags(cell) != ["lang-hi"] or _tags(twin) != ["lang-en"]:
            continue
        found += [(i, p) for p in glossary_problems(cell.source, twin.source)]
        found += [(i, p) for p in check_style(cell.source, twin.source, kind)]
        for m in H1.finditer(_nfc(_prose(cell.source))):
            h1_cell = i if h1_cell is None else h1_cell
            want = path.name[:2]
            if re.fullmatch(r"\d\d", want) and m[1] != want:
                found.append((i, Problem(f'H1 "{m.group(0)}" numbers the chapter {m[1]} in file {path.name}',
                                         f"number it {want}", m.group(0))))
    if h1_cell is None and re.match(r"\d\d_", path.name):
        nn = path.name[:2]
        title = load_style().titles.get(nn, "<title>")
        want = f"# {nn} · {title}" + (f": {SOLUTION_SUBTITLE}" if kind == "solution" else "")
        found.append((0, Problem("the source has no Hindi H1 \"# NN · title\"", f'start it with "{want}"')))
    return found


def _readme_titles(paragraph: str) -> list[Problem]:
    """README.hi.md's chapter table (column 2 starts with the title) and chapter lists ("04 AE से VAE तक, 05 ELBO, …")."""
    titles, problems = load_style().titles, []
    for m in re.finditer(r"^\|\s*(\d\d)\s*\|\s*([^|\n]*?)\s*\|", paragraph, re.M):
        nn, col = m[1], m[2]
        if nn in titles and not (col == titles[nn] or col.startswith(titles[nn] + ":")):
            head = col.split(":")[0]
            problems.append(Problem(f'chapter table row {nn}: "{head}" differs from chapter {nn}\'s title',
                                    f'start column 2 with "{titles[nn]}"', col))
    items = list(re.finditer(r"(?:^|[:,])\s*(\d\d) (?!·)([^,।:|\n]+?)\s*(?=[,।]|$)",
                             " ".join(paragraph.split()), re.M))
    if len(items) >= 3:                  # a list of chapters: every item is "NN title"
        for m in items:
            nn, name = m[1], m[2]
            if nn in titles and name != titles[nn]:
                problems.append(Problem(f'chapter list item "{nn} {name}" differs from chapter {nn}\'s title',
                                        f'write "{nn} {titles[nn]}"', name))
    return problems


def check_readme(path: Path) -> list[tuple[int, Problem]]:
    """(line number, problem) for README.hi.md or INSTRUCTORS.hi.md: the checks that need no English twin,
    and (README.hi.md only) its chapter table and chapter lists."""
    lines = _nfc(Path(path).read_text(encoding="utf-8")).splitlines()
    tables = Path(path).name == "README.hi.md"
    found, para, start, fence = [], [], 0, False

    def flush():
        if not para:
            return
        text = "\n".join(para)
        problems = (nukta_problems(text) + address_problems(text) + runin_problems(text)
                    + sense_problems(text, "") + title_problems(text) + (_readme_titles(text) if tables else [])
                    + agreement_problems(text) + heading_problems(text))
        for p in problems:
            at = next((k for k, ln in enumerate(para) if p.found and p.found.split("\n")[0][:20] in ln), 0)
            found.append((start + at + 1, p))

    for n, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            flush()
            para, fence = [], not fence
            continue
        if fence:
            continue
        if not line.strip():
            flush()
            para = []
            continue
        if not para:
            start = n
        para.append(line)
    flush()
    return found


# ---------------------------------------------------------------- gender review aid

def gender_review(hindi: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each Hindi sentence that uses a term of the style sheet's gender list, with the terms' genders."""
    gender = load_style().gender
    pats = {t: re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, _plurals(t))) + r")(?![\w-])", re.I)
            for t in sorted(gender, key=len, reverse=True)}
    out = []
    for sentence in re.split(r"(?<=[।?!])\s+|\n+", _nfc(_prose(hindi))):
        s, terms = sentence, []
        for t, pat in pats.items():
            if pat.search(s):
                terms.append((t, gender[t]))
                s = pat.sub(" ", s)  # "latent space" is not also "space"
        if terms and DEV_WORD.search(sentence):
            out.append((" ".join(sentence.split()), terms))
    return out


def unlisted_words(hindi: str) -> list[str]:
    """English words inside Hindi sentences that [style.gender] does not list (nouns among them need a gender)."""
    forms, out = _gender_forms(), []
    for sentence in re.split(r"(?<=[।?!])\s+|\n+", _nfc(_prose(hindi))):
        if DEV_WORD.search(sentence):
            out += [w for w in LATIN_WORD.findall(sentence) if w.lower() not in forms]
    return out


# ---------------------------------------------------------------- command line

def default_paths(root: Path = ROOT) -> list[Path]:
    found = sorted(p for tree in ("notebooks", "solutions") for p in (root / tree / "source").glob("*.md"))
    return found + [p for p in [root / "README.hi.md", root / "INSTRUCTORS.hi.md"] if p.exists()]


def _expand(paths: list[str]) -> list[Path]:
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(p.glob("*.md"))
        elif p.is_file():
            out.append(p)
        else:
            raise SystemExit(f"no such file or folder: {p}")
    return out


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.tools.style", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", help="sources or folders (default: every source, README.hi.md and INSTRUCTORS.hi.md)")
    parser.add_argument("--gender", action="store_true",
                        help="list the Hindi sentences with gendered English terms, for a human review; check nothing")
    parser.add_argument("--unlisted", action="store_true",
                        help="count the English words in Hindi sentences that [style.gender] does not list; check nothing")
    args = parser.parse_args(argv)
    paths = _expand(args.paths) if args.paths else default_paths()
    if args.unlisted:
        import collections
        import jupytext
        counts: collections.Counter = collections.Counter()
        for path in paths:
            if not path.name.endswith(".hi.md"):
                nb = jupytext.read(path, fmt="md:myst")
                for cell in nb.cells:
                    if cell.cell_type == "markdown" and _tags(cell) == ["lang-hi"]:
                        counts.update(w.lower() for w in unlisted_words(cell.source))
        for word, n in counts.most_common():
            print(f"{n:5d} {word}")
        return 0
    if args.gender:
        import jupytext
        for path in paths:
            if path.name.endswith(".hi.md"):
                continue
            nb = jupytext.read(path, fmt="md:myst")
            for i, cell in enumerate(nb.cells):
                if cell.cell_type == "markdown" and _tags(cell) == ["lang-hi"]:
                    for sentence, terms in gender_review(cell.source):
                        said = ", ".join(f"{t} ({g[0]})" for t, g in terms)
                        print(f"{_show(path)}: cell {i}: [{said}] {sentence}")
        return 0
    total = 0
    if not args.paths:                   # the glossary's own glosses are printed in every chapter
        for name, p in gloss_problems():
            print(f"{_show(GLOSSARY_FILE)}: term '{name}': {p}")
            total += 1
    for path in paths:
        if path.name.endswith(".hi.md"):
            rows = [f"{_show(path)}: line {n}: {p}" for n, p in check_readme(path)]
        else:
            rows = [f"{_show(path)}: cell {i}: {p}" for i, p in check_source(path)]
        for row in rows:
            print(row)
        total += len(rows)
    print(f"{'✗' if total else '✓'} {total} problem(s) in {len(paths)} file(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
