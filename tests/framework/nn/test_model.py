import torch

from framework import GSSNN, GraphIndex
from framework.nn.testing import example_graphs
from framework_plugins.backbones.gine import GINEOptions, build_gine
from framework_plugins.encoders.mlp import MLPOptions, build_mlp
from framework_plugins.injectors.gssnn import GSSNNInjector
from framework_plugins.injectors.gssnn import GSSNNInjectorOptions, build_gssnn_injector

D = 16


def model(graph_name="tree9", faithful=False):
    graph = example_graphs()[graph_name]
    index = GraphIndex.from_port_graph(graph)
    injector = build_gssnn_injector(GSSNNInjectorOptions(faithful=faithful), index, D, graph.max_conn)
    return GSSNN(build_mlp(MLPOptions(hidden=[8]), (3,), D), injector, build_gine(GINEOptions(), D), D)


def test_composition_is_encoder_injector_backbone_mean_head():
    torch.manual_seed(0)
    m = model().eval()
    x = torch.randn(4, 3)
    z = m.encoder(x)
    nodes, edges = m.injector(z)
    expected = m.head(m.backbone(nodes, m.injector.edge_index, edges).mean(dim=1))
    torch.testing.assert_close(m(x), expected)
    assert m(x).shape == (4, 1)


def test_every_parameter_gets_a_gradient():
    for faithful in (False, True):
        m = model("cyclic", faithful)
        m(torch.randn(4, 3)).sum().backward()
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


def test_faithful_graph_uses_the_injectors_own_message_index():
    m = model("tree9", faithful=True)
    assert m.injector.edge_index.shape[1] == 4 * 8
    assert isinstance(m.injector, GSSNNInjector)


def test_buffers_follow_the_module():
    m = model().double()
    assert m(torch.randn(2, 3, dtype=torch.float64)).dtype == torch.float64
