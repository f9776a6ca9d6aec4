"""Sphinx configuration of the course's website, shared by the Hindi and the English site.

Do not run Sphinx on this folder directly: `make site` (course_utils/tools/site.py) stages the committed
views of one language into a source folder and runs Sphinx on it with this configuration, once for
Hindi (`COURSE_SITE_LANG=hi`) and once for English. Nothing is executed again (nb_execution_mode "off")
and nothing is loaded from the internet at build or view time: MathJax and the Devanagari font are
copied into the site.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from course_search import SearchHindi  # noqa: E402

LANG = os.environ.get("COURSE_SITE_LANG", "hi")
if LANG not in ("hi", "en"):
    raise ValueError(f"COURSE_SITE_LANG must be 'hi' or 'en', got {LANG!r}; build with `make site`")
OTHER = "en" if LANG == "hi" else "hi"
# Written by course_utils/tools/site.py beside the staged pages: the chapter table and the MathJax copy.
STAGE_INFO = json.loads(os.environ.get("COURSE_SITE_INFO", "{}"))

project = "Autoencoders से VAE तक / From Autoencoders to VAEs"
author = "The course's authors"
copyright = "the course's authors, MIT licence"
language = LANG
root_doc = "index"

extensions = ["myst_nb", "sphinx.ext.mathjax"]
exclude_patterns = ["_build", "_views/**", "_mathjax/**", "**.ipynb_checkpoints"]
templates_path = [str(HERE / "_templates")]

# myst-nb renders the committed views as they are: no execution, outputs as stored.
nb_execution_mode = "off"
nb_merge_streams = True
# Widgets' saved state would need the widget manager from a CDN: the site strips the widget views and
# keeps the static picture and caption that every widget cell of the course prints beside its widget.
nb_ipywidgets_js = {}
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# MathJax 3.2.2 from the site itself (django-static-mathjax's copy, staged into _mathjax/): no CDN.
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {
    "loader": {"load": []},
    "options": {"menuOptions": {"settings": {"assistiveMml": False}}},
}

html_theme = "sphinx_book_theme"
html_title = "Autoencoders से VAE तक" if LANG == "hi" else "From Autoencoders to VAEs"
html_static_path = [str(HERE / "_static")] + ([STAGE_INFO["mathjax"]] if STAGE_INFO.get("mathjax") else [])
html_css_files = ["course.css"]
html_copy_source = False
html_use_index = False          # no index entries in the course: no empty genindex page
html_show_sourcelink = False
html_last_updated_fmt = None
html_search_language = LANG
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": False,      # the page's own header links the committed view, not the staged copy
    "use_fullscreen_button": False,
    "article_header_end": ["lang-switch.html", "article-header-buttons.html"],
    "navigation_with_keys": False,
}
html_context = {"course_lang": LANG, "course_other_lang": OTHER}


def _page_context(app, pagename, templatename, context, doctree):
    """The URL of the same page in the other language's site, relative to this page."""
    depth = pagename.count("/") + 1            # the page's folder depth below the language folder, plus that folder
    other_page = "index" if pagename in STAGE_INFO.get("only_here", []) else pagename
    context["course_other_url"] = "../" * depth + f"{OTHER}/{other_page}.html"
    context["course_other_label"] = "English" if OTHER == "en" else "हिंदी"
    context["course_other_title"] = ("Read this page in English" if OTHER == "en"
                                     else "यह page हिंदी में पढ़ें")


def setup(app):
    app.add_search_language(SearchHindi)
    app.connect("html-page-context", _page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
