"""The ``subnetwork`` probe: "Break It Down" (Lepori et al.) on a G-SSNN.

A continuous-sparsification mask (Savarese et al.: ``sigmoid(beta * s)`` per
weight, ``beta`` annealed until the mask is nearly binary) is learned over the
graph head's weights (injector, backbone, linear head; ``weights = "encoder"``
masks the encoder instead). It must keep one target's accuracy while the
other target's predictions are driven to chance, and be small. Two masks are
learned: keep the run's own task without ``other``, and keep ``other``
without the run's task. The report gives each subnetwork's size (fraction of
the masked weights kept), both targets' accuracy with only the subnetwork,
and with the subnetwork ablated (its weights zeroed, the rest intact), and
the two masks' overlap (intersection over union).

``other`` is a task table like the spec's ``[task]``; it must give inputs of
the run's shape. Both targets' masks are fitted on their ``train`` splits
and measured on the probe's split.
"""

from __future__ import annotations

import math
from typing import Any

from framework import ProbeReport, UsageError, part_score, per_sample, rank
from framework_plugins.probes.options import SubnetworkOptions


class SubnetworkProbe:
    def __init__(self, options: SubnetworkOptions) -> None:
        self.options = options

    def run(self, subject):
        import torch

        from framework import GSSNN

        model = subject.module
        if not isinstance(model, GSSNN):
            raise UsageError(f"{subject.candidate}: the subnetwork probe needs a G-SSNN")
        if not self.options.other:
            raise UsageError("probe 'subnetwork' needs the option other = {plugin = ..., ...} (the second target)")
        own = subject.load_task()
        other = subject.load_task(self.options.other)
        own_train, own_split = own.train, subject.split
        other_train, other_split = other.train, getattr(other, subject.split_name)
        masked_encoder = self.options.weights == "encoder"
        if not masked_encoder:  # the encoder is not masked: run it once per split
            model = _graph_head(model)
            own_train, own_split, other_train, other_split = (
                _encoded(subject.module, split) for split in (own_train, own_split, other_train, other_split))
        names = [n for n, _ in model.named_parameters() if n.startswith("encoder.") == masked_encoder]
        params = {n: p.detach() for n, p in model.named_parameters()}
        keep_own = self._mask(model, params, names, own_train, other_train, subject.seed)
        keep_other = self._mask(model, params, names, other_train, own_train, subject.seed + 1)
        intact = {"own": _logits(model, params, own_split), "other": _logits(model, params, other_split)}
        splits = {"own": own_split, "other": other_split}
        details: dict[str, Any] = {"weights": self.options.weights, "masked": sum(params[n].numel() for n in names)}
        parts = []
        for label, mask, target in (("own without other", keep_own, "own"), ("other without own", keep_other, "other")):
            only = {n: params[n] * mask[n] if n in mask else params[n] for n in params}
            ablated = {n: params[n] * (1 - mask[n]) if n in mask else params[n] for n in params}
            figures = {"size": _fraction(mask)}
            for name, split in splits.items():
                figures[f"{name}_accuracy_intact"] = _accuracy(intact[name], split)
                figures[f"{name}_accuracy_subnetwork"] = _accuracy(_logits(model, only, split), split)
                figures[f"{name}_accuracy_ablated"] = _accuracy(_logits(model, ablated, split), split)
            details[label.replace(" ", "_")] = figures
            split = splits[target]
            parts.append(part_score(f"subnetwork keeping {label}", "subnetwork", (),
                                    per_sample(intact[target], split.y),
                                    per_sample(_logits(model, ablated, split), split.y), seed=subject.seed))
        union = sum(int((keep_own[n].bool() | keep_other[n].bool()).sum()) for n in names)
        both = sum(int((keep_own[n].bool() & keep_other[n].bool()).sum()) for n in names)
        details["overlap"] = both / union if union else math.nan
        with torch.no_grad():
            own_logits = intact["own"]
        return ProbeReport("subnetwork", subject.candidate, subject.split_name,
                           _accuracy(own_logits, own_split), float(per_sample(own_logits, own_split.y)[1].mean()),
                           rank(parts), details)

    def _mask(self, model, params, names, keep, remove, seed):
        """A binary mask per name: keep ``keep``'s accuracy, drive ``remove`` to chance, stay small."""
        import torch
        import torch.nn.functional as F

        torch.manual_seed(seed)
        scores = {n: torch.full_like(params[n], 3.0, requires_grad=True) for n in names}
        optimizer = torch.optim.Adam(scores.values(), lr=self.options.lr)
        total = sum(params[n].numel() for n in names)
        half = torch.full_like(remove.y, 0.5)
        for step in range(self.options.steps):
            beta = self.options.beta ** (step / max(self.options.steps - 1, 1))
            soft = {n: torch.sigmoid(beta * s) for n, s in scores.items()}
            masked = {n: params[n] * soft[n] if n in soft else params[n] for n in params}
            loss = (F.binary_cross_entropy_with_logits(_forward(model, masked, keep.x), keep.y)
                    + F.binary_cross_entropy_with_logits(_forward(model, masked, remove.x), half)
                    + self.options.sparsity * sum(m.sum() for m in soft.values()) / total)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return {n: (s.detach() > 0).float() for n, s in scores.items()}


def _graph_head(model):
    """Everything after the encoder, as a module of encoder outputs (the head's parameters keep
    their names; torch is imported only when a probe runs)."""
    from torch import nn

    class GraphHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.injector, self.backbone, self.head = model.injector, model.backbone, model.head

        def forward(self, z):
            return model.graph_head(z)

    return GraphHead()


def _encoded(model, split):
    import torch

    from framework import Split

    with torch.no_grad():
        return Split(torch.cat([model.encoder(x) for x in split.x.split(256)]), split.y)


def _forward(model, params, x):
    from torch.func import functional_call

    return functional_call(model, params, (x,)).float().reshape(-1)


def _logits(model, params, split):
    import torch

    with torch.no_grad():
        return torch.cat([_forward(model, params, x) for x in split.x.split(256)])


def _accuracy(logits, split) -> float:
    return float(per_sample(logits, split.y)[0].mean())


def _fraction(mask) -> float:
    kept = sum(float(m.sum()) for m in mask.values())
    return kept / sum(m.numel() for m in mask.values())
