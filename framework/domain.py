"""The value a domain returns for a program that has no usable output.

The domain protocol itself is :class:`framework.contracts.Domain`.
"""

from __future__ import annotations

from attrs import frozen


@frozen
class Rejection:
    """Why a program has no usable output (data, not an exception).

    ``reason`` is a short stable code (``"not connected"``, ``"single node"``,
    ``"budget exceeded"``, ...) and ``detail`` an optional human sentence.
    """

    reason: str
    detail: str = ""
