"""Where the tests find the conformance records of the original G-SSNN implementation.

``$FRAMEWORK_SHARED/conformance`` if that variable is set, else ``shared/``
beside the clone (as CI lays it out), else the copy bundled in
``tests/conformance/`` (which a test keeps identical to the shared one).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from framework import PortGraph

NAME = "graph-dsl-original.jsonl"
REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "tests" / "conformance" / NAME
SHARED = Path(os.environ.get("FRAMEWORK_SHARED") or REPO.parent / "shared") / "conformance" / NAME
CONFORMANCE = SHARED if SHARED.is_file() else BUNDLED


def records() -> list[dict[str, Any]]:
    """Every record: ``program``, ``original_program``, ``stitch_program``, ``mass``, ``output``."""
    return [json.loads(line) for line in CONFORMANCE.read_text(encoding="utf-8").splitlines() if line.strip()]


def graphs(limit: int | None = None) -> list[PortGraph]:
    """The recorded output graphs (the first ``limit`` of them)."""
    return [PortGraph.from_json(r["output"]) for r in records()[:limit]]
