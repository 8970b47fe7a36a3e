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
