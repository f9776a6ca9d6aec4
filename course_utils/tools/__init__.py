"""The author's and instructor's machinery, kept out of what a learner imports.

- build   one bilingual source -> Hindi and English notebook views (``python -m course_utils.tools.build``)
- style   the Hindi style sheet and glossary checks the build runs on every prose pair
- zoo     retrain the zoo's checkpoints and pin their hashes (``python -m course_utils.tools.zoo train NAME | --all``)
- site    the course's website from the committed views, both languages (``make site``)
- model_table  chapter 12's comparison table of every model, regenerated from the zoo

Nothing in ``course_utils`` outside this folder imports from it.
"""
