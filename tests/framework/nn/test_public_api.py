import framework
import framework.nn


def test_neural_names_resolve_from_the_public_package():
    for name, module in framework._LAZY.items():
        assert name in framework.__all__
        assert getattr(framework, name) is getattr(__import__(module, fromlist=[name]), name)


def test_framework_nn_exports_what_it_lists():
    for name in framework.nn.__all__:
        assert getattr(framework, name) is getattr(framework.nn, name)
