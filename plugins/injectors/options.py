"""Options of the built-in injectors, torch-free so that validating a spec does not import torch."""

from __future__ import annotations

from attrs import field, frozen
from attrs.validators import gt, instance_of


@frozen
class GSSNNInjectorOptions:
    """Options of ``injector = {plugin = "gssnn", ...}``.

    Attributes:
        faithful: reproduce the original code's quirks (doubled edges,
            scrambled positional table computed in the default dtype) for
            ablation; default false.
        temperature: base of the sin-cos frequencies (paper: 10000).
    """

    faithful: bool = False
    temperature: float = field(default=10000.0, validator=gt(1.0))


@frozen
class LaplacianInjectorOptions:
    """Options of ``injector = {plugin = "laplacian", ...}``.

    Attributes:
        k: number of Laplacian eigenvectors per node (zero-padded on small graphs).
    """

    k: int = field(default=8, validator=[instance_of(int), gt(0)])
