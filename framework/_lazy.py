"""Names a package imports on first use (``framework`` and ``framework.nn``), so that
``import framework`` does not pay for importing torch."""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Callable, Mapping


def lazy_names(package: str, modules: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package``, whose names in ``modules``
    (name -> the module that defines it) are imported when first used::

        __getattr__, __dir__ = lazy_names(__name__, {"GSSNN": "framework.nn.model"})
    """

    def __getattr__(name: str) -> object:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(module), name)

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *modules})

    return __getattr__, __dir__
