import tomllib

import pytest

from course_utils import glossary
from course_utils.tools import style
from course_utils.tools.build import read_source, sources


def test_mistranslation_is_caught():
    problems = style.check_pair("यह पुनरावर्तन trick gradient को बहने देता है।",
                                   "The reparameterization trick lets the gradient flow.")
    assert any("पुनरावर्तन" in p for p in problems)
    assert any("reparameterization trick" in p for p in problems)


def test_dropped_term_is_caught_and_kept_term_passes():
    en = "The decoder maps the latent code back to an image."
    assert any("decoder" in p for p in style.check_pair("विकोडक code को image में बदलता है।", en))
    assert style.check_pair("Decoder latent code को वापस image में बदलता है।", en) == []


def test_terms_inside_code_and_formulas_do_not_count():
    assert style.check_pair("नीचे का cell देखें।", "Run `encoder(x)` and see $\\text{loss}$.") == []


def test_every_term_is_complete_and_unique():
    terms = glossary.load_terms()
    assert len(terms) >= 30
    forms = [f.lower() for t in terms for f in t.forms]
    assert len(forms) == len(set(forms)), "a form belongs to two terms"
    for t in terms:
        assert t.hi and t.en and t.forms
        assert not any(bad in t.hi for bad in t.avoid), f"{t.name}: its own gloss uses a mistranslation"


def test_glossary_file_parses_and_unknown_terms_are_refused():
    tomllib.loads(glossary.GLOSSARY_FILE.read_text(encoding="utf-8"))
    assert "| **encoder** |" in glossary.glossary_table(["encoder"])
    with pytest.raises(KeyError, match="flux capacitor"):
        glossary.glossary_table(["flux capacitor"])


@pytest.mark.parametrize("src", sources(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_hindi_cell_keeps_the_terms(src):
    read_source(src)  # raises BuildError listing every glossary problem


def test_mistranslations_match_whole_words_only():
    assert style._has_word("यह भार है", "भार")
    assert not style._has_word("यह भारी है", "भार")           # heavy, not weight
    assert not style.check_pair("यह model भारी है।", "This model is heavy.")
