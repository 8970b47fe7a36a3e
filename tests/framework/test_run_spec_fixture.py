"""The run_spec fixture of framework.testing, registered with pytest by the pytest11 entry point."""

from __future__ import annotations

import json


def test_the_fixture_comes_from_the_installed_pytest_plugin(request):
    assert request.config.pluginmanager.hasplugin("framework")


def test_run_spec_runs_a_tiny_spec_with_a_plugin_file(run_spec, fixture_plugins):
    result = run_spec(f"""
        [plugins]
        paths = ["{fixture_plugins / 'shout_selector.py'}"]

        [population]
        selector = {{plugin = "shout"}}
    """)
    assert result.state.phase == "done"
    assert result.run_dir.summary_json.is_file()
    spec = result.spec_path.read_text()
    assert 'plugin = "shout"' in spec and "generations = 1" in spec
    assert json.loads(result.run_dir.run_json.read_text())["plugins"]


def test_run_json_records_plugin_versions_and_resume_warns_when_one_changed(run_spec, capsys):
    result = run_spec()
    record = json.loads(result.run_dir.run_json.read_text())
    assert record["plugins"]["backbone/gine"]["package"] == "framework"
    assert record["plugins"]["selector/select-accuracy"]["source"] == "framework_plugins.selectors"
    capsys.readouterr()
    run_spec(resume=True)
    assert "warning" not in capsys.readouterr().err

    record["plugins"]["backbone/gine"]["version"] = "0.0.1"
    result.run_dir.run_json.write_text(json.dumps(record))
    run_spec(resume=True)
    err = " ".join(capsys.readouterr().err.split())
    assert "warning: model.backbone: backbone plugin 'gine' was framework 0.0.1 when the run started" in err
