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


def test_glosses_are_checked_against_every_avoid_list(tmp_path):
    assert style.gloss_problems() == []          # the real glossary: every gloss passes
    planted = tmp_path / "glossary.toml"
    planted.write_text(
        '[[term]]\nforms = ["weights"]\nhi = "Network के सीखे जाने वाले numbers।"\nen = "x"\navoid = ["वज़न"]\n\n'
        '[[term]]\nforms = ["importance weights"]\nhi = "हर sample का वज़न p(x, z) / q(z)।"\nen = "x"\navoid = []\n\n'
        '[[term]]\nforms = ["prior"]\nhi = "Data से पहले की distribution, ज्यादा आसान।"\nen = "x"\navoid = []\n\n'
        '[[term]]\nforms = ["ELBO"]\nhi = "log p(x) का lower bound।"\nen = "x"\navoid = []\n', encoding="utf-8")
    found = {(name, p.found) for name, p in style.gloss_problems(planted)}
    assert ("importance weights", "वज़न") in found                     # another term's avoid list
    assert ("prior", "ज्यादा") in found                               # the style sheet's nukta
    assert ("ELBO", "का lower bound") in found                        # bound is feminine
    assert not any(name == "weights" for name, _ in found)


@pytest.mark.parametrize("term", ["β-VAE", "rate-distortion", "latent traversal", "disentanglement",
                                  "mutual information", "MIG", "conditional VAE", "one-hot", "continuous Bernoulli",
                                  "codebook", "vector quantization", "straight-through estimator", "commitment loss",
                                  "perplexity", "dead code", "autoregressive prior", "posterior collapse"])
def test_terms_of_chapters_08_to_11_have_avoid_lists(term):
    by_name = {t.name: t for t in glossary.load_terms()}
    assert by_name[term].avoid, f"{term}: no mistranslation listed"


@pytest.mark.parametrize("hindi, bad", [
    ("VQ-VAE की कूटपुस्तिका में K vectors हैं।", "कूटपुस्तिका"),
    ("Encoder प्रतिबद्धता हानि से सीखता है।", "प्रतिबद्धता हानि"),
    ("यहाँ सीधा-पार अनुमानक gradient देता है।", "सीधा-पार अनुमानक"),
    ("हर dimension का गुप्त भ्रमण देखें।", "गुप्त भ्रमण"),
    ("आधे मृत कोड restart से लौटते हैं।", "मृत कोड"),
    ("यह पोस्टीरियर पतन है।", "पोस्टीरियर पतन"),
])
def test_mistranslations_of_chapters_08_to_11_are_caught(hindi, bad):
    assert any(f"'{bad}' mistranslates" in p for p in style.check_pair(hindi, "")), style.check_pair(hindi, "")


def test_standard_error_has_its_own_entry():
    by_form = {f.lower(): t for t in glossary.load_terms() for f in t.forms}
    assert by_form["standard error"] is not by_form["monte carlo"]
    assert "standard deviation" in by_form["standard error"].en and by_form["se"] is by_form["standard error"]
