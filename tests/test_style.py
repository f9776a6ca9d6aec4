"""The Hindi style sheet (course_utils/glossary.toml [style]) and its checks, with planted bad sentences."""
import nbformat
import pytest

from course_utils.tools import style
from course_utils.tools.build import BuildError, validate

EN = "The same sentence in English."


def fixes(problems):
    return [p.fix for p in problems]


def assert_caught(problems, word, fix):
    assert any(word in p.message and fix in p.fix for p in problems), [str(p) for p in problems]


# ---------------------------------------------------------------- the style sheet itself

def test_style_sheet_holds_the_decisions():
    sheet = style.load_style()
    assert sheet.titles == {f"{n:02d}": t for n, t in enumerate(
        ["यहाँ से शुरू करें", "Autoencoder की बुनियाद", "Autoencoder बनाम PCA", "Autoencoder परिवार",
         "AE से VAE तक", "ELBO", "Reparameterization trick", "MNIST पर VAE", "VAE की training dynamics",
         "β-VAE", "Conditional VAE", "VQ-VAE", "Evaluation", "Applications", "VAE से आगे"])}
    for term in ["loss", "latent space", "code", "model", "gradient", "threshold", "noise"]:
        assert sheet.gender[term] == "masculine"
    for term in ["image", "basis", "penalty", "error", "matrix", "distribution", "layer", "file"]:
        assert sheet.gender[term] == "feminine"
    for bare, fixed in {**sheet.nukta_words, **sheet.nukta_stems}.items():
        assert style.NUKTA not in bare and style.NUKTA in fixed, (bare, fixed)
    for not_imperative in ["लिए", "किए", "दिए", "चाहिए", "इसलिए", "दो", "हो", "को"]:
        assert not_imperative not in sheet.address


def test_a_glossary_without_style_section_is_refused(tmp_path):
    path = tmp_path / "glossary.toml"
    path.write_text('[[term]]\nforms = ["x"]\nhi = "x"\nen = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[style\]"):
        style.load_style(path)


# ---------------------------------------------------------------- nukta

@pytest.mark.parametrize("bare, fixed", [
    ("ज्यादा", "ज़्यादा"), ("जरूरी", "ज़रूरी"), ("फर्क", "फ़र्क"), ("सिर्फ", "सिर्फ़"), ("तरफ", "तरफ़"),
    ("साफ", "साफ़"), ("फाइल", "फ़ाइल"), ("जरिए", "ज़रिए"), ("अंदाजा", "अंदाज़ा"), ("नजर", "नज़र"),
    ("तेज", "तेज़"), ("चीज", "चीज़"), ("हजार", "हज़ार"), ("ज्यादातर", "ज़्यादातर"), ("चीजें", "चीज़ें"),
])
def test_dropped_nukta_is_caught_with_the_spelling(bare, fixed):
    problems = style.nukta_problems(f"यह {bare} है।")
    assert fixes(problems) == [f'write "{style._nfc(fixed)}"']
    assert style.nukta_problems(f"यह {fixed} है।") == []


@pytest.mark.parametrize("bad, good", [("क़रीब", "करीब"), ("ख़ुद", "खुद"), ("ग़लत", "गलत"), ("ख़ास", "खास")])
def test_qaf_khe_ghain_nukta_is_refused(bad, good):
    assert fixes(style.nukta_problems(f"Model {bad} ही सीखता है।")) == [f'write "{good}"']
    assert style.nukta_problems(f"Model {good} ही सीखता है।") == []


def test_precomposed_and_decomposed_nukta_are_the_same_letter():
    precomposed, decomposed = "\u0959\u0941\u0926", "\u0916\u093c\u0941\u0926"     # ख़ुद, two ways
    for text in (precomposed, decomposed):
        assert fixes(style.nukta_problems(f"वह {text} सीखता है।")) == ['write "खुद"']
    zyada_pre, zyada_dec = "\u095b\u094d\u092f\u093e\u0926\u093e", "\u091c\u093c\u094d\u092f\u093e\u0926\u093e"
    assert style.nukta_problems(f"{zyada_pre} और {zyada_dec}") == []       # both right spellings pass
    assert style.nukta_problems("साफ़ और अंदाज़ा") == []       # a stem without nukta is a prefix of the right word


# ---------------------------------------------------------------- form of address

@pytest.mark.parametrize("bad, good", [
    ("देखिए", "देखें"), ("कीजिए", "करें"), ("बताइए", "बताएँ"), ("सोचिए", "सोचें"), ("लिखिए", "लिखें"),
    ("चलाइए", "चलाएँ"), ("पढ़िए", "पढ़ें"), ("करिए", "करें"), ("दीजिए", "दें"), ("लीजिए", "लें"),
    ("रखिए", "रखें"), ("समझिए", "समझें"), ("चुनिए", "चुनें"), ("करो", "करें"), ("देखो", "देखें"),
    ("चुनो", "चुनें"), ("लिखो", "लिखें"), ("बताओ", "बताएँ"), ("चलाओ", "चलाएँ"), ("सोचो", "सोचें"),
    ("पढ़ो", "पढ़ें"), ("रखो", "रखें"), ("समझो", "समझें"), ("बनाओ", "बनाएँ"),
])
def test_other_forms_of_address_are_caught(bad, good):
    problems = style.address_problems(f"अब नीचे का cell {bad}।")
    assert fixes(problems) == [f'write "{good}"']
    assert style.address_problems(f"अब नीचे का cell {good}।") == []


def test_mat_is_refused_as_a_word_only():
    assert_caught(style.address_problems("`F.mse_loss` मत इस्तेमाल करें।"), "मत", '"न"')
    assert style.address_problems("यहाँ `F.mse_loss` इस्तेमाल न करें।") == []
    assert style.address_problems("इसका मतलब यह है कि कीमत और बहुमत अलग हैं।") == []


def test_words_that_only_look_like_imperatives_pass():
    good = "इसके लिए हमने तीन बदलाव किए, दो numbers दिए, इसलिए अब यह काफ़ी होना चाहिए।"
    assert style.address_problems(good) == []
    assert style.check_style(good, "For this we made three changes.") == []


def test_code_spans_blocks_latex_and_link_targets_are_not_prose():
    hindi = ("नीचे `देखिए()` और $मत$ देखें, [यह](ज्यादा_देखो.md) भी।\n\n"
             "```python\nprint('करो', 'ख़ुद', 'ज्यादा')\n```\n")
    assert style.check_style(hindi, "See `f()` and $मत$ below.") == []


# ---------------------------------------------------------------- run-in headings

@pytest.mark.parametrize("bad, fixed", [
    ("**Sparsity कैसे मापें.** \"कितनी values\" मापने के लिए", "**Sparsity कैसे मापें:**"),
    ("**Threshold**. असली system में", "**Threshold:**"),
    ("- **Accuracy क्यों नहीं।** Test set में", "**Accuracy क्यों नहीं:**"),
    ("पहला paragraph।\n\n**Objective में फ़र्क.** Architecture एक है।", "**Objective में फ़र्क:**"),
])
def test_run_in_heading_with_a_full_stop_is_caught(bad, fixed):
    assert fixes(style.runin_problems(bad)) == [f'write "{fixed}"']


def test_good_run_in_headings_and_bold_sentences_pass():
    for good in ["**Sparsity कैसे मापें:** \"कितनी values\" मापने के लिए",
                 "- **Label नहीं चाहिए।** Target खुद input है।",        # a bold sentence, not a heading
                 "**Error से**, लगभग हमेशा।",
                 "Loss को **साफ़ तौर पर.** नहीं लिखा"]:                   # bold inside a sentence
        assert style.runin_problems(good) == [], good


# ---------------------------------------------------------------- words with a wrong sense

def test_pahchaan_for_a_mathematical_identity_is_caught():
    problems = style.sense_problems("Code में हम एक पहचान इस्तेमाल करेंगे।", "The code uses an identity.")
    assert fixes(problems) == ['write "identity (सर्वसमिका)"']


def test_pahchaan_in_its_own_sense_passes():
    assert style.sense_problems("Checker तीन गलतियाँ पहचानता है, और digit पहचान में आता है।",
                                "The checker recognises three mistakes; the digit is recognisable.") == []
    assert style.sense_problems("पहले numbers digit की पहचान पकड़ते हैं।",
                                "The first numbers capture the digit's identity.") == []
    assert style.sense_problems("Identity function सीखना, और फ़र्क पहचान सकेंगे।",
                                "Learn the identity function, and recognise the difference.") == []


@pytest.mark.parametrize("bad", ["जलना", "जलाता", "जलने", "जली", "जले"])
def test_jal_for_active_units_is_caught(bad):
    problems = style.sense_problems(f"हर digit कुछ ही units को {bad} है।", "Each digit makes few units fire.")
    assert len(problems) == 1 and ("active" in problems[0].fix or "on" in problems[0].fix)


def test_milaavat_is_always_refused():
    assert fixes(style.sense_problems("हर invertible \"मिलावट\" उतनी ही अच्छी है।", "")) == ['write "मिश्रण"']


def test_tedha_for_skewed_is_caught_with_the_agreeing_form():
    problems = style.sense_problems("कुछ dimensions टेढ़े हैं और distribution टेढ़ी है।", "Some are skewed.")
    assert fixes(problems) == ['write "एक तरफ़ झुके"', 'write "एक तरफ़ झुकी"']


def test_mota_for_rough_is_caught_but_not_for_thick_strokes():
    assert_caught(style.sense_problems("Gaussian बस एक मोटी नकल है।", "Only a rough copy."), "मोटी", "मोटे तौर पर")
    assert style.sense_problems("कुछ digits मोटे और टूटे हुए हैं।", "Some digits are thick and broken.") == []
    assert style.sense_problems("मोटे तौर पर आकार बचता है, मोटा-मोटा अंदाज़ा।", "The rough shape survives.") == []


# ---------------------------------------------------------------- chapter titles

def test_titles_in_h1_and_cross_references():
    assert style.title_problems("# 03 · Autoencoder परिवार: sparse, denoising", "chapter") == []
    assert style.title_problems("# 03 · Autoencoder परिवार: हल", "solution") == []
    assert fixes(style.title_problems("# 03 · Autoencoder family: हल", "solution")) == [
        'write "# 03 · Autoencoder परिवार: हल"']
    assert fixes(style.title_problems("# 03 · Autoencoder परिवार: extra", "solution")) == [
        'write "# 03 · Autoencoder परिवार: हल"']
    assert fixes(style.title_problems("# 03 · Autoencoder परिवार: solutions", "solution")) == [
        'write "# 03 · Autoencoder परिवार: हल"']                      # the English subtitle of before issue 21
    assert fixes(style.title_problems("अगला chapter: [03 · Autoencoders का परिवार](03_x.ipynb)।")) == [
        'write "03 · Autoencoder परिवार"']
    assert style.title_problems("अगला chapter: [03 · Autoencoder परिवार](03_x.ipynb)।") == []
    assert style.title_problems("अगला chapter, 04 · AE से VAE तक, दिखाएगा कि…") == []
    assert fixes(style.title_problems("अगला chapter, 04 from_ae_to_vae, दिखाएगा")) == ['write "04 · AE से VAE तक"']
    assert style.title_problems("`04 from_ae_to_vae` और 10 गुना छोटा") == []


def write_source(path, hindi_h1, english_h1, hindi_body="यह chapter है।", english_body="This is a chapter."):
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [(["lang-hi"], f"{hindi_h1}\n\n{hindi_body}"), (["lang-en"], f"{english_h1}\n\n{english_body}")]
    body = "".join(f'+++ {{"tags": ["{t[0]}"]}}\n\n{s}\n\n' for t, s in cells)
    path.write_text("---\njupytext:\n  text_representation:\n    format_name: myst\n---\n\n" + body,
                    encoding="utf-8")


def test_title_mismatch_across_places_in_a_temporary_course(tmp_path, capsys):
    chapter = tmp_path / "notebooks" / "source" / "02_x.md"
    solution = tmp_path / "solutions" / "source" / "02_x.md"
    readme = tmp_path / "README.hi.md"
    write_source(chapter, "# 02 · Autoencoder बनाम PCA: वही subspace", "# 02 · Autoencoders versus PCA")
    write_source(solution, "# 02 · Autoencoder vs PCA: हल", "# 02 · Autoencoders versus PCA: solutions")
    readme.write_text("# Course का परिचय\n\n| # | chapter |\n| --- | --- |\n| 02 | Autoencoder बनाम PCA: माप |\n"
                      "| 03 | Autoencoders का परिवार: sparse |\n\nआगे: 04 AE से VAE तक, 05 ELBO, 08 training dynamics।\n",
                      encoding="utf-8")
    assert style.check_source(chapter) == []
    [(cell, problem)] = style.check_source(solution)
    assert cell == 0 and problem.fix == 'write "# 02 · Autoencoder बनाम PCA: हल"'
    lines = {n: str(p) for n, p in style.check_readme(readme)}
    assert set(lines) == {6, 8}
    assert 'start column 2 with "Autoencoder परिवार"' in lines[6]
    assert 'write "08 VAE की training dynamics"' in lines[8]
    assert style.main([str(chapter), str(solution), str(readme)]) == 1
    out = capsys.readouterr().out
    assert f"{solution}: cell 0: " in out or "solutions/source/02_x.md: cell 0: H1" in out
    assert "README.hi.md: line 6: " in out and " → " in out
    assert style.main([str(chapter)]) == 0


def test_source_without_hindi_h1_is_refused(tmp_path):
    src = tmp_path / "notebooks" / "source" / "05_x.md"
    write_source(src, "## कुछ", "## Something")
    [(cell, problem)] = style.check_source(src)
    assert problem.fix == 'start it with "# 05 · ELBO"'


# ---------------------------------------------------------------- the build refuses, with cell and fix

def test_the_build_refuses_a_style_violation_with_cell_and_fix():
    def md(tag, text):
        return nbformat.v4.new_markdown_cell(text, metadata={"tags": [tag]})

    nb = nbformat.v4.new_notebook()
    nb.cells = [md("lang-hi", "# 01 · Autoencoder की बुनियाद"), md("lang-en", "# 01 · Autoencoder basics"),
                nbformat.v4.new_code_cell("x = 1"),
                md("lang-hi", "यह ज्यादा अच्छा है, देखिए।"), md("lang-en", "This is better, see.")]
    with pytest.raises(BuildError) as err:
        validate(nb, "01_x.md")
    message = str(err.value)
    assert 'cell 3 (hi): "ज्यादा" lacks its nukta → write "ज़्यादा"' in message
    assert 'cell 3 (hi): "देखिए"' in message and 'write "देखें"' in message
    assert "cell 0" not in message
    nb.cells[3] = md("lang-hi", "यह ज़्यादा अच्छा है, देखें।")
    validate(nb, "01_x.md")


# ---------------------------------------------------------------- helpers

def test_whole_words_end_at_a_danda():
    assert style._has_word("यह भार।", "भार")
    assert fixes(style.address_problems("यह इस्तेमाल करो।")) == ['write "करें"']


def test_gender_review_lists_sentences_with_their_terms():
    rows = style.gender_review("Loss कम होता है। Images धुंधली हैं। यहाँ कुछ नहीं।")
    assert rows == [("Loss कम होता है।", [("loss", "masculine")]), ("Images धुंधली हैं।", [("image", "feminine")])]


def test_the_glossarys_own_hindi_glosses_follow_the_style_sheet():
    # they are printed in every chapter's glossary box: nukta, address, sense, agreement, avoid lists
    assert [(name, str(p)) for name, p in style.gloss_problems()] == []


# ---------------------------------------------------------------- gender list: the reviews' decisions

def test_gender_list_holds_the_reviews_decisions():
    gender = style.load_style().gender
    masculine = ["kl", "kl divergence", "elbo", "rate", "grid", "column", "bar", "sample", "prior", "posterior",
                 "codebook", "histogram", "budget", "expectation", "mse", "epoch", "estimate"]
    feminine = ["bound", "sampling", "dimension", "se", "standard error", "family", "binarisation", "value",
                "log-likelihood", "reconstruction", "traversal", "unit", "active unit", "class", "row", "shape",
                "sweep", "entropy", "density", "fidelity", "perplexity", "activity"]
    assert {t: gender.get(t) for t in masculine} == dict.fromkeys(masculine, "masculine")
    assert {t: gender.get(t) for t in feminine} == dict.fromkeys(feminine, "feminine")


def test_a_term_with_two_genders_is_refused(tmp_path):
    text = style.GLOSSARY_FILE.read_text(encoding="utf-8").replace('feminine = [\n  "image",', 'feminine = [\n  "loss", "image",')
    path = tmp_path / "glossary.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="both masculine and feminine"):
        style.load_style(path)


# ---------------------------------------------------------------- agreement right before a term

@pytest.mark.parametrize("bad, fix", [
    ("Encoder की loss घटती है।", 'write "का loss"'),                      # loss is masculine
    ("यह उस model का image है।", 'write "की image"'),                      # image is feminine
    ("नीचे की bars दिखाती हैं।", 'write "के bars"'),                        # masculine plural: के
    ("उसका SE छपा। यह SE क्या गिनता है?", 'write "उसकी SE"'),
    ("यह $\\log p(x)$ का upper bound है।", 'write "की upper bound"'),      # an English adjective in between
    ("सबसे दाएँ वाली column, और उसके बगल वाली।", 'write "वाला column"'),  # a comma ends the phrase
    ("हर नया dimension जो KL लेता है", 'write "नई dimension"'),
    ("दो distributions के बीच की KL divergence है।", 'write "का KL divergence"'),  # a two-word term
    ("Encoder की output, यानी code", 'write "का output"'),
])
def test_agreement_with_the_wrong_gender_is_caught(bad, fix):
    assert fixes(style.agreement_problems(bad)) == [fix], bad


@pytest.mark.parametrize("good", [
    "Encoder का loss घटता है, और PCA की basis वही है।",
    "नीचे के bars दिखाते हैं, और उसकी SE छपी।",
    "Decoder की loss curve नीचे है।",                   # the head is curve (feminine), not loss
    "Model की training loss घटती है।",                  # two English nouns: left to the human review
    "Unit $j$ का image पर असर छोटा है।",                 # का belongs to असर; "image पर" sits in between
    "Posterior mean का images पर variance है।",
    "Model की encoder और decoder layers बदलती हैं।",    # और may join two modifiers of layers
    "हर image पूरी की पूरी code में नहीं समाती।",         # an idiom, agreeing with image
    "यह model का image की तरह output है।",              # का + की तरह: a compound postposition follows
    "Model का image बनाना सीखना है।",                    # का agrees with the infinitive बनाना
    "सबसे बड़ा code identity सीख सकता है।",             # two noun phrases side by side
    "के images, के codes और के output",                 # के is never judged
    "Plain MLP की section 2 वाली curve",                # a number does not end the phrase
    "`encoder` की `image` है",                          # code spans are not terms
])
def test_right_or_undecidable_agreement_passes(good):
    assert style.agreement_problems(good) == [], good


# ---------------------------------------------------------------- a heading without Hindi (issue 21, D6)

@pytest.mark.parametrize("hindi, fix", [
    ("## Summary", 'write "## सारांश"'),
    ("## Practice questions", 'write "## अभ्यास प्रश्न"'),
    ("## Environment check", 'write "## Environment की जाँच"'),
    ("### Exercise 2: latent traversal", 'write "### अभ्यास 2: latent traversal"'),
    ("### Exercise 1: `reparameterize(mu, logvar)`", 'write "### अभ्यास 1: `reparameterize(mu, logvar)`"'),
    ("### Question 5: negative nats", 'write "### प्रश्न 5: negative nats"'),
    ("# 10 · Conditional VAE: solutions", 'write "# 10 · Conditional VAE: हल"'),
    ("# 05 · ELBO", 'write "# 05 · ELBO: <हिंदी में subtitle>"'),          # a title of terms needs a Hindi subtitle
    ("## 2. Encoding to a distribution", "write the heading in Hindi"),
    ("## 3. Sparse autoencoders", "write the heading in Hindi"),                # terms of art only
    ("<a id=\"ex-2\"></a>\n## `fit`", "write the heading in Hindi"),          # code only
    ("## `print('हल')`", "write the heading in Hindi"),                        # Hindi inside code is not Hindi
    ("यह Hindi है।\n\n#### $\\beta$-VAE", "write the heading in Hindi"),       # maths only, below Hindi prose
])
def test_a_heading_without_hindi_is_caught_with_the_courses_word(hindi, fix):
    [problem] = style.heading_problems(hindi, "")
    assert "carries no Hindi" in problem.message and problem.fix.startswith(fix), problem
    assert any(p.found == problem.found for p in style.check_style(hindi, hindi))


@pytest.mark.parametrize("hindi", [
    "## सारांश",
    "## अभ्यास प्रश्न",
    "## Environment की जाँच",
    "### अभ्यास 2: latent traversal",
    "### अभ्यास 1: `reparameterize(mu, logvar)`",
    "## 2. Encoder से एक distribution",
    "# 10 · Conditional VAE: हल",
    "# 06 · Reparameterization trick: sampling से होकर gradient",
    "# 03 · Autoencoder परिवार",                                               # the title itself is Hindi
    "```python\n# Exercise 2: a comment in code\n## another\n```",              # not a heading: a code block
    "#hashtag है, heading नहीं",
    "<a id=\"q-1\"></a>\n### प्रश्न 1: straight-through अनुमान कब ठीक है",
])
def test_hindi_headings_pass(hindi):
    assert style.heading_problems(hindi, "") == []


def test_the_build_refuses_an_english_only_heading_with_cell_and_fix():
    def md(tag, text):
        return nbformat.v4.new_markdown_cell(text, metadata={"tags": [tag]})

    nb = nbformat.v4.new_notebook()
    nb.cells = [md("lang-hi", "# 01 · Autoencoder की बुनियाद"), md("lang-en", "# 01 · Autoencoder basics"),
                md("lang-hi", "## Summary\n\nसार।"), md("lang-en", "## Summary\n\nThe gist.")]
    with pytest.raises(BuildError) as err:
        validate(nb, "01_x.md")
    assert 'cell 2 (hi): heading "## Summary" carries no Hindi' in str(err.value), str(err.value)
    assert 'write "## सारांश"' in str(err.value)
    nb.cells[2] = md("lang-hi", "## सारांश\n\nसार।")
    validate(nb, "01_x.md")


def test_readme_headings_need_hindi_too(tmp_path):
    page = tmp_path / "README.hi.md"
    page.write_text("# Autoencoders से VAE तक\n\n## Layout\n\nयह है।\n\n## Data कहाँ है\n", encoding="utf-8")
    [(line, problem)] = style.check_readme(page)
    assert line == 3 and "carries no Hindi" in problem.message


# ---------------------------------------------------------------- inline maths against the twin

@pytest.mark.parametrize("hindi, english, shown", [
    ("Bound $-\\log p_\\theta(k^{*}) $ है।", "The bound is $-\\log p_\\theta(k^{*})$.", "$-\\log p_\\theta(k^{*}) $"),
    ("दोनों variances $K$ से घटते हैं।", "Both variances fall as $1/K$.", "$1/K$"),
    ("यहाँ $\\sigma$ है।", "Here $\\sigma^2$ is.", "$\\sigma^2$"),                  # a changed formula
    ("बस $x$ देखें।", "Look at $x$ and $\\mu(x)$.", "$\\mu(x)$"),                      # a dropped formula
])
def test_inline_maths_that_differ_are_caught(hindi, english, shown):
    [problem] = style.maths_problems(hindi, english)
    assert shown in problem.message, problem.message


@pytest.mark.parametrize("hindi, english", [
    ("$K$ बढ़ाने से दोनों variances $K$ गुना घटते हैं।", "More samples divide both variances by $K$."),
    ("## 4. $\\beta$ की sweep", "## 4. The β sweep"),                                  # $\beta$ ↔ β
    ("`logvar` $= \\log \\sigma^2$ है।", "`logvar` is $\\log \\sigma^2$."),             # the verb inside the maths
    ("लगभग $\\approx e^{-745}$ तक", "down to about $e^{-745}$"),
    ("$p(x)$ और $q(z \\mid x)$", "$q(z \\mid x)$ and $p(x)$"),                          # order does not matter
    ("`x = $HOME` में $y$", "`x = $PATH` in $y$"),                                     # dollars in code spans
])
def test_equal_or_harmlessly_rewritten_maths_pass(hindi, english):
    assert style.maths_problems(hindi, english) == []


def test_the_build_refuses_the_new_checks_with_cell_and_fix():
    def md(tag, text):
        return nbformat.v4.new_markdown_cell(text, metadata={"tags": [tag]})

    nb = nbformat.v4.new_notebook()
    nb.cells = [md("lang-hi", "# 01 · Autoencoder की बुनियाद"), md("lang-en", "# 01 · Autoencoder basics"),
                md("lang-hi", "Encoder की output है, $x $ भी।"), md("lang-en", "The encoder's output, $x$ too.")]
    with pytest.raises(BuildError) as err:
        validate(nb, "01_x.md")
    assert 'cell 2 (hi): "की output"' in str(err.value) and 'write "का output"' in str(err.value)
    assert "cell 2 (hi): inline maths differ" in str(err.value)
    nb.cells[2] = md("lang-hi", "Encoder का output है, $x$ भी।")
    validate(nb, "01_x.md")


def test_readme_and_instructors_are_checked_by_the_command(tmp_path):
    assert {p.name for p in style.default_paths()} >= {"README.hi.md", "INSTRUCTORS.hi.md"}
    page = tmp_path / "INSTRUCTORS.hi.md"
    page.write_text("| 01 | ex1 | ≈ 50 min |\n\nनीचे की bars दिखाती हैं।\n", encoding="utf-8")
    [(line, problem)] = style.check_readme(page)     # no README chapter-table rule for other pages
    assert line == 3 and problem.fix == 'write "के bars"'


def test_unlisted_english_words_are_reported_for_the_gender_list():
    words = style.unlisted_words("Model ने एक blurry widget-free frobnicator बनाया। No Hindi here.")
    assert "frobnicator" in words and "Model" not in words and "Hindi" not in words
