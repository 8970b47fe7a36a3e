"""docs/synthesizers.md, section "Library learning": every option of ``stitch`` is documented."""

from __future__ import annotations

from pathlib import Path

import attrs

from framework_plugins.library import StitchOptions

DOC = Path(__file__).resolve().parents[3] / "docs" / "synthesizers.md"


def test_every_stitch_option_is_documented_with_its_default():
    section = DOC.read_text().split("## Library learning", 1)[1]
    for field in attrs.fields(StitchOptions):
        default = str(field.default).lower() if isinstance(field.default, bool) else str(field.default)
        assert f"| `{field.name}` | {default} |" in section, f"Library learning lacks option {field.name}"
