"""The framework's built-in plugins.

Each module registers itself through the ``framework`` entry-point group in
``pyproject.toml`` and imports only the public ``framework`` API, exactly as a
third-party plugin package would.
"""
