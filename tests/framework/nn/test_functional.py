import torch

from framework import add_self_loops, dropout, scatter_mean, scatter_softmax, scatter_sum


def test_scatter_sum_and_mean():
    messages = torch.tensor([[[1.0], [2.0], [4.0]]])
    index = torch.tensor([0, 0, 2])
    assert scatter_sum(messages, index, 3).flatten().tolist() == [3.0, 0.0, 4.0]
    assert scatter_mean(messages, index, 3).flatten().tolist() == [1.5, 0.0, 4.0]


def test_scatter_softmax_normalises_per_destination_and_survives_large_scores():
    scores = torch.tensor([[1000.0, 1001.0, -5.0, 3.0]])
    index = torch.tensor([1, 1, 0, 1])
    out = scatter_softmax(scores, index, 2)
    assert torch.isfinite(out).all()
    assert scatter_sum(out[..., None], index, 2).flatten().tolist() == [1.0, 1.0]
    expected = torch.tensor([1000.0, 1001.0, 3.0]).softmax(0)
    torch.testing.assert_close(out[0, [0, 1, 3]], expected)


def test_add_self_loops():
    assert add_self_loops(torch.tensor([[0], [1]]), 2).tolist() == [[0, 0, 1], [1, 0, 1]]


def test_dropout_keeps_the_expectation_and_the_rate():
    torch.manual_seed(0)
    x = torch.ones(200_000)
    out = dropout(x, 0.3, training=True)
    assert abs((out == 0).float().mean().item() - 0.3) < 0.005
    torch.testing.assert_close(torch.unique(out), torch.tensor([0.0, 1 / 0.7]))
    assert abs(out.mean().item() - 1.0) < 0.01
    assert dropout(x, 0.3, training=False) is x and dropout(x, 0.0, training=True) is x
