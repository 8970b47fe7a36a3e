"""``framework new-plugin KIND NAME``: write a pip-installable plugin package from the kind's template.

The templates are package data (``framework/templates``): ``pyproject.toml``
and ``README.md`` shared by every kind, and per kind the plugin module
(``plugin.py``, its ``__init__.py``), any further module (``model.py``,
``data.py``: the torch code a ``LazyFactory`` names) and a test calling the
kind's contract suite of :mod:`framework.testing`.
"""

from __future__ import annotations

import argparse
import re
from importlib import resources
from pathlib import Path
from string import Template

from rich.markup import escape

from framework.cli.console import stdout
from framework.errors import UsageError

#: How a plugin of each kind is used (the README's usage line): its spec table, or the command running it.
USAGE = {
    "domain": '`[domain] plugin = "{name}"`',
    "synthesizer": '`[[synthesizers]] plugin = "{name}"`',
    "library_learner": '`[library] plugin = "{name}"`',
    "injector": '`[model] injector = {{plugin = "{name}"}}`',
    "backbone": '`[model] backbone = {{plugin = "{name}"}}`',
    "encoder": '`[model] encoder = {{plugin = "{name}"}}`',
    "task": '`[task] plugin = "{name}"`',
    "selector": '`[population] selector = {{plugin = "{name}"}}`',
    "executor": '`[executor] plugin = "{name}"`',
    "probe": '`framework probe RUN --method {name}`',
}

_NAME = re.compile(r"[a-z][a-z0-9-]*")


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``new-plugin``."""
    new = commands.add_parser("new-plugin", help="write a plugin package of KIND from its template")
    new.add_argument("kind", choices=sorted(USAGE), metavar="KIND", help=f"one of: {', '.join(USAGE)}")
    new.add_argument("name", help="the plugin's name in specs (lower case, digits, '-')")
    new.add_argument("--dir", type=Path, default=Path("."), help="where the package folder goes (default: .)")
    new.set_defaults(handler=_new_plugin)


def _new_plugin(args: argparse.Namespace) -> int:
    root = write_plugin_package(args.kind, args.name, args.dir)
    stdout.print(escape(f"wrote {root}: pip install -e {root} && python -m pytest {root / 'tests'}"))
    return 0


def write_plugin_package(kind: str, name: str, where: Path) -> Path:
    """Write package ``framework-NAME`` for a plugin of ``kind`` under ``where``; return its folder."""
    if not _NAME.fullmatch(name):
        raise UsageError(f"plugin name {name!r}: use lower-case letters, digits and '-', starting with a letter")
    module = "framework_" + name.replace("-", "_")
    values = {
        "name": name,
        "kind": kind,
        "module": module,
        "package": f"framework-{name}",
        "Class": "".join(part.capitalize() for part in name.split("-")),
        "usage": USAGE[kind].format(name=name),
    }
    root = Path(where) / values["package"]
    if root.exists():
        raise UsageError(f"{root} already exists; choose another --dir or name")
    templates = resources.files("framework") / "templates"
    files = {Path("pyproject.toml"): templates / "pyproject.toml.tmpl", Path("README.md"): templates / "README.md.tmpl"}
    for template in (templates / kind).iterdir():
        stem = template.name.removesuffix(".py.tmpl")
        target = {"plugin": Path(module, "__init__.py"), "test": Path("tests", f"test_{module}.py")}.get(
            stem, Path(module, f"{stem}.py"))
        files[target] = template
    for target, template in sorted(files.items()):
        path = root / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(template.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
    return root
