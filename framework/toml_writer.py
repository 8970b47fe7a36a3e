"""A small TOML writer for spec-shaped data (the standard library reads TOML but does not write it).

Its bytes are a run's identity: the engine hashes ``spec_to_toml(spec)``
into the checkpoint, so a change to the output here makes every earlier run
refuse ``--resume``. ``tests/framework/test_toml_writer.py`` pins the text.
"""

from __future__ import annotations

from typing import Any, Mapping


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def _toml_string(text: str) -> str:
    """A TOML basic string: quote, backslash and control characters escaped."""
    escaped = "".join(
        f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else "\\" + c if c in '"\\' else c for c in text
    )
    return f'"{escaped}"'


def _toml_key(key: str) -> str:
    return key if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key) else _toml_string(key)


def dumps(data: Mapping[str, Any]) -> str:
    """``data`` as TOML: top-level tables of scalars, arrays and inline tables, or arrays of tables."""
    out: list[str] = []
    for section, body in data.items():
        if isinstance(body, list) and all(isinstance(v, dict) for v in body):
            for item in body:
                out.append(f"[[{section}]]")
                out.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in item.items())
                out.append("")
        else:
            out.append(f"[{section}]")
            out.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in body.items())
            out.append("")
    return "\n".join(out)
