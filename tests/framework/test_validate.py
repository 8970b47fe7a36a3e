"""``framework validate`` makes every check ``run`` makes before its first write (issue 12, item 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from framework.cli import main

QUICK = Path(__file__).resolve().parents[2] / "examples" / "quickstart.toml"


def _spec(tmp_path: Path, replace: dict[str, str]) -> Path:
    text = QUICK.read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    text = text.replace('name = "quickstart"', f'name = "quickstart"\nout = "{tmp_path / "run"}"')
    spec = tmp_path / "spec.toml"
    spec.write_text(text)
    return spec


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.parametrize("replace, message", [
    ({'equivalence = "ported"': 'equivalence = "ported"\ngrammar = "missing.lark"'},
     "domain.grammar: "),
    ({'equivalence = "ported"': 'equivalence = "ported"\ngrammar = "broken.lark"'},
     "broken.lark:1:"),
    ({"size = 8\n": 'size = 8\ninitial = ["(no such program"]\n'}, "population.initial[0]: "),
    ({"dim = 32": "dim = 30"}, "model: "),
    pytest.param({'device = "auto"': 'device = "cuda"'}, "run.device: ",
                 marks=pytest.mark.skipif(_has_cuda(), reason="this machine has CUDA")),
    ({'backbone = {plugin = "gine"}': 'backbone = {plugin = "dgl-gine"}'}, "dgl"),
])
def test_validate_refuses_what_run_refuses(tmp_path, capsys, replace, message):
    (tmp_path / "broken.lark").write_text("start: (\n")
    spec = _spec(tmp_path, replace)
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert main(["run", str(spec)]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_validate_lists_every_problem_at_once(tmp_path, capsys):
    spec = _spec(tmp_path, {'equivalence = "ported"': 'equivalence = "ported"\ngrammar = "missing.lark"',
                            "dim = 32": "dim = 30"})
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "domain.grammar: " in err and "model: " in err
    spec = _spec(tmp_path, {"size = 8\n": 'size = 8\ninitial = ["(", "((", "(i)"]\n'})
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "population.initial[0]: " in err and "population.initial[1]: " in err


def test_a_valid_spec_is_valid(tmp_path, capsys):
    assert main(["validate", str(_spec(tmp_path, {}))]) == 0
    assert "valid" in capsys.readouterr().out
    assert not (tmp_path / "run").exists()


def test_a_string_where_a_list_of_tables_is_expected_is_one_message(tmp_path, capsys):
    text = QUICK.read_text().split("[[synthesizers]]")[0].replace("[run]", 'synthesizers = "enumerative"\n[run]')
    spec = tmp_path / "spec.toml"
    spec.write_text(text)
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.count("synthesizers") == 1, err


def test_spec_problems_and_pre_flight_problems_are_reported_together(tmp_path, capsys):
    # a broken grammar file (pre-flight) beside a bad training.epochs and an unknown key (the spec)
    (tmp_path / "broken.lark").write_text("start: (\n")
    spec = _spec(tmp_path, {'equivalence = "ported"': 'equivalence = "ported"\ngrammar = "broken.lark"',
                            "epochs = 4": 'epochs = "ten"', "batch_size = 16": "batch_size = 16\nlr_decay = 2",
                            "dim = 32": "dim = 30"})
    for command in ("validate", "run"):
        assert main([command, str(spec)]) == 2
        err = capsys.readouterr().err
        assert "4 problems in the spec" in err, err
        for part in ('training.epochs: expected an integer, got "ten"', "training.lr_decay: unknown key",
                     "domain.grammar: ", "broken.lark:1:", "model: the sin-cos positional code"):
            assert part in err, (part, err)
        assert "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_a_part_with_problems_of_its_own_is_not_checked_again(tmp_path, capsys):
    # a bad synthesizer option and a bad injector option: building that synthesizer and the
    # model's pre-flight would only repeat them; the initial programs, a valid part, are parsed
    spec = _spec(tmp_path, {"max_size = 16": 'max_size = "big"', 'injector = {plugin = "gssnn"}':
                            'injector = {plugin = "gssnn", faithful = 3}',
                            "size = 8\n": 'size = 8\ninitial = ["(no such program"]\n'})
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "3 problems in the spec" in err, err
    assert 'synthesizers[1].max_size: expected an integer, got "big"' in err
    assert "model.injector.faithful: expected true or false, got 3" in err
    assert "population.initial[0]: " in err and "model: " not in err
