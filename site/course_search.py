"""Sphinx search for the Hindi site: Devanagari words whole, English terms of art stemmed as in English.

Sphinx has no Hindi search language. Its fallback splits text at every character that is not a letter
or a digit, and Devanagari vowel signs and the virama are combining marks, not letters: "प्रश्न" would be
indexed as "प", "रश", "न" and never found as a word. This language keeps letters, marks and digits together
(in Python and in the browser alike), normalises to Unicode NFC on both sides (a nukta typed precomposed or
decomposed finds the same word) and stems Latin-script words with Sphinx's English stemmer, since the
course's Hindi keeps terms of art in English ("latent space", "decoder").
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import snowballstemmer
import sphinx.search
from sphinx.search import SearchLanguage
from sphinx.search._stopwords.en import ENGLISH_STOPWORDS

_JS = Path(sphinx.search.__file__).parent / "minified-js"
_ASCII = re.compile(r"[\x00-\x7f]+")


class SearchHindi(SearchLanguage):
    lang = "hi"
    language_name = "Hindi"
    stopwords = ENGLISH_STOPWORDS          # only English words are dropped; Hindi short words stay searchable
    # Letters, combining marks (matras, virama, nukta, anusvara), digits and underscores make one word.
    _word_re = re.compile(r"[\w\u0300-\u036f\u0900-\u097f\ua8e0-\ua8ff\u1cd0-\u1cff]+")
    js_splitter_code = r"""
function splitQuery(query) {
  return query
    .normalize("NFC")
    .split(/[^\p{Letter}\p{Mark}\p{Number}_]+/gu)
    .filter((term) => term);
}
"""

    def __init__(self, options: dict[str, str]) -> None:
        super().__init__(options)
        self.stemmer = snowballstemmer.stemmer("english")

    @property
    def js_stemmer_code(self) -> str:       # type: ignore[override]
        """Sphinx's English stemmer for Latin-script words, NFC for everything else."""
        return "\n".join((
            (_JS / "base-stemmer.js").read_text(encoding="utf-8"),
            (_JS / "english-stemmer.js").read_text(encoding="utf-8"),
            """
var Stemmer = function () {
  const english = new EnglishStemmer();
  this.stemWord = function (w) {
    w = w.normalize("NFC");
    return /^[\\x00-\\x7f]+$/.test(w) ? english.stemWord(w) : w;
  };
};""",
        ))

    def split(self, input: str) -> list[str]:
        return self._word_re.findall(unicodedata.normalize("NFC", input))

    def stem(self, word: str) -> str:
        word = unicodedata.normalize("NFC", word.lower())
        return self.stemmer.stemWord(word) if _ASCII.fullmatch(word) else word
