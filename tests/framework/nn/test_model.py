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


def conformance_graphs(limit: int):
    from conformance_data import graphs

    every = graphs()
    return every[:: max(1, len(every) // limit)]


def test_every_registered_combination_runs_on_any_graph():
    """Each injector x native backbone from the registry, on a graph-domain graph and one larger than D."""
    from framework.plugins import build_registry

    registry = build_registry()
    backbones = [registry.get("backbone", n).info for n in registry.names("backbone") if not n.startswith("dgl-")]
    injectors = [registry.get("injector", n).info for n in registry.names("injector")]
    encoder = registry.get("encoder", "mlp").info
    for graph in conformance_graphs(1) + [example_graphs()["large"]]:
        index = GraphIndex.from_port_graph(graph)
        for injector in injectors:
            for backbone in backbones:
                m = GSSNN(
                    encoder.factory(encoder.options(hidden=(8,)), (3,), D),
                    injector.factory(injector.options(), index, D, graph.max_conn),
                    backbone.factory(backbone.options(depth=2), D),
                    D,
                )
                out = m(torch.randn(4, 3))
                out.sum().backward()
                assert out.shape == (4, 1) and torch.isfinite(out).all(), (injector.name, backbone.name)


def test_the_paper_head_trains_on_graph_domain_graphs():
    from framework import TrainingOptions, train
    from framework.task import Split, TaskData

    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))
    y = (x[:, 0] > 0).float()
    data = TaskData(Split(x, y), Split(x[:0], y[:0]), Split(x, y), (3,))
    for graph in conformance_graphs(4):
        index = GraphIndex.from_port_graph(graph)
        injector = build_gssnn_injector(GSSNNInjectorOptions(), index, D, graph.max_conn)
        m = GSSNN(build_mlp(MLPOptions(hidden=[8]), (3,), D), injector, build_gine(GINEOptions(), D), D)
        result = train(m, data, TrainingOptions(epochs=1), device=torch.device("cpu"), seed=0)
        assert result.failed is None and result.train_accuracy is not None


def test_every_combination_runs_under_bf16_autocast():
    """The trainer autocasts to bf16 on CUDA; CPU autocast exercises the same dtype mixing."""
    from framework.plugins import build_registry

    registry = build_registry()
    index = GraphIndex.from_port_graph(example_graphs()["cyclic"])
    encoder = registry.get("encoder", "mlp").info
    for injector_name in registry.names("injector"):
        injector = registry.get("injector", injector_name).info
        for backbone_name in [n for n in registry.names("backbone") if not n.startswith("dgl-")]:
            backbone = registry.get("backbone", backbone_name).info
            m = GSSNN(
                encoder.factory(encoder.options(hidden=(8,)), (3,), D),
                injector.factory(injector.options(), index, D, 10),
                backbone.factory(backbone.options(depth=2), D),
                D,
            )
            with torch.autocast("cpu", dtype=torch.bfloat16):
                out = m(torch.randn(4, 3))
            out.float().sum().backward()
            assert torch.isfinite(out.float()).all(), (injector_name, backbone_name)
