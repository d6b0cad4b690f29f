"""hyperparameter 0.6's tests of config files on the command line (tests/test_cli_config.py),
ported: ``hp.launch(func)`` reads ``sys.argv``, ``--config FILE`` and ``-C FILE FILE``.

One departure, tested last: upstream's ``-C`` with no file loads nothing; here it is a usage
error.
"""

import json
import sys

import pytest

import hyperparameter as hp


@hp.param("my_app")
def my_app(x=1, y=2):
    return {"x": x, "y": y}


def test_cli_config_load(tmp_path, monkeypatch):
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps({"my_app": {"x": 10, "y": 20}}))

    monkeypatch.setattr(sys, "argv", ["prog", "--config", str(config_file)])
    result = hp.launch(my_app)
    assert result["x"] == 10
    assert result["y"] == 20

    # CLI > config
    monkeypatch.setattr(sys, "argv", ["prog", "--config", str(config_file), "--define", "my_app.x=99"])
    result = hp.launch(my_app)
    assert result["x"] == 99
    assert result["y"] == 20


def test_cli_multi_config(tmp_path, monkeypatch):
    base_cfg = tmp_path / "base.json"
    override_cfg = tmp_path / "override.json"
    base_cfg.write_text(json.dumps({"my_app": {"x": 1, "y": 1}}))
    override_cfg.write_text(json.dumps({"my_app": {"y": 2}}))

    monkeypatch.setattr(sys, "argv", ["prog", "-C", str(base_cfg), str(override_cfg)])
    result = hp.launch(my_app)
    assert result["x"] == 1
    assert result["y"] == 2


def test_cli_multi_config_with_subcommands(tmp_path, monkeypatch):
    """Upstream's multi-command programs take ``-C`` after the command name; so does this one
    (and before it too)."""

    @hp.param("other_app")
    def other_app(z=0):
        return z

    base_cfg = tmp_path / "base.json"
    override_cfg = tmp_path / "override.json"
    base_cfg.write_text(json.dumps({"my_app": {"x": 1, "y": 1}}))
    override_cfg.write_text(json.dumps({"my_app": {"y": 2}}))
    for argv in (
        ["prog", "my_app", "-C", str(base_cfg), str(override_cfg)],
        ["prog", "-C", str(base_cfg), str(override_cfg), "my_app"],
    ):
        monkeypatch.setattr(sys, "argv", argv)
        assert hp.launch([my_app, other_app]) == {"x": 1, "y": 2}


def test_departure_a_bare_C_is_an_error(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["prog", "-C"])
    with pytest.raises(SystemExit) as exited:
        hp.launch(my_app)
    assert exited.value.code == 2
    assert "error: argument --config: no file after -C" in capsys.readouterr().err
