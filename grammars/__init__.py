"""The grammars shipped with the framework, as package data (``*.lark``).

Installed as the ``framework_grammars`` package (``pyproject.toml`` maps it to
this folder, like ``plugins/``); read them with ``Grammar.load_builtin(name)``.
"""
