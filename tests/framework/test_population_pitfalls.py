"""The vmap facts population training is built around (issue 13, point 7), measured.

If torch changes one of them, these say which design choice to revisit.
"""

from __future__ import annotations

import pytest
import torch
from torch.func import vmap
from torch.profiler import ProfilerActivity, profile

from framework.nn.functional import add_rows, dropout

MEMBERS, B, N, M, D = 6, 2, 4, 5, 3


def aten_ops(function, *args) -> int:
    """ATen-level ops (nested ones included) one call of ``function`` runs."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        function(*args)
    return sum(event.name.startswith("aten::") for event in prof.events())


def members(count: int):
    generator = torch.Generator().manual_seed(0)
    index = torch.randint(0, N, (count, M), generator=generator)
    return torch.zeros(count, B, N, D), index, torch.randn(count, B, M, D, generator=generator)


def test_index_add_with_a_per_member_index_runs_member_by_member():
    def index_add(target, index, rows):
        return target.clone().index_add_(1, index, rows)

    few, many = aten_ops(vmap(index_add), *members(1)), aten_ops(vmap(index_add), *members(MEMBERS))
    assert many >= few + MEMBERS  # one more kernel per member at least


def test_add_rows_batches_for_real_and_agrees_with_index_add():
    def add(target, index, rows):
        return add_rows(target.clone(), index, rows)

    assert aten_ops(vmap(add), *members(1)) == aten_ops(vmap(add), *members(MEMBERS))
    target, index, rows = members(MEMBERS)
    batched = vmap(add)(target, index, rows)
    for p in range(MEMBERS):
        assert torch.equal(batched[p], target[p].clone().index_add_(1, index[p], rows[p]))


def test_item_inside_the_member_function_breaks_vmap():
    with pytest.raises(RuntimeError):
        vmap(lambda x: x * x.sum().item())(torch.ones(3, 2))


def test_python_if_on_a_tensor_breaks_vmap():
    def branch(x):
        return x if x.sum() > 0 else -x

    with pytest.raises(RuntimeError):
        vmap(branch)(torch.ones(3, 2))


def test_randomness_same_gives_every_member_the_same_mask():
    x = torch.ones(4, 64)
    same = vmap(lambda row: dropout(row, 0.5, True), randomness="same")(x)
    different = vmap(lambda row: dropout(row, 0.5, True), randomness="different")(x)
    assert all(torch.equal(same[0], row) for row in same)
    assert not all(torch.equal(different[0], row) for row in different)


def test_torch_adam_rejects_a_learning_rate_per_member():
    with pytest.raises((ValueError, RuntimeError)):
        optimizer = torch.optim.Adam([torch.zeros(3, requires_grad=True)], lr=torch.tensor([1e-3, 1e-3, 1e-3]))
        optimizer.param_groups[0]["params"][0].grad = torch.ones(3)
        optimizer.step()
