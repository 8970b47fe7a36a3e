"""All four plugins in one tiny run, through framework.testing's `run_spec` fixture."""

import json

SPEC = """
[domain]
plugin = "shapes"

[[synthesizers]]
plugin = "hill-climb"
max_size = 10

[model]
injector = {plugin = "random-walk", steps = 4}
backbone = {plugin = "gin-sum", depth = 2, dropout = 0.0}

[run]
generations = 2

[population]
size = 4
keep = 2
"""


def test_a_run_with_every_plugin_of_the_package(run_spec):
    result = run_spec(SPEC)
    assert result.state.phase == "done"
    first, second = ([json.loads(line) for line in result.run_dir.population(g).read_text().splitlines()]
                     for g in (0, 1))
    kept = {member["id"] for member in first if member["kept"]}
    new = [member for member in second if member["generation"] == 1]
    assert all(member["parent"] is None for member in first)  # generation 0: random restarts
    assert new and all(member["synthesizer"] == "hill-climb" and member["parent"] in kept for member in new)
    assert all(member["scores"]["failed"] is None for member in first + second)
