"""`stapkit config`: the effective settings, as TOML that reads back the same, or JSON."""

from __future__ import annotations

import json
import tomllib

from stapkit.cli import main


def run(args, capsys):
    status = main(["config", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_defaults_without_a_configuration_file(tmp_path, capsys):
    status, out, _ = run([str(tmp_path), "--output-format", "json"], capsys)
    data = json.loads(out)
    assert status == 0 and data["file"] is None
    settings = data["settings"]
    assert settings["select"] is None and settings["fail-on"] == "warning"
    assert settings["target"]["systemtap-version"] == "4.8" and settings["format"]["indent"] == 2


def test_the_closest_file_merged_with_the_defaults(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.stapkit]\nselect = ["stp5"]\nfail-on = "error"\n'
        '[tool.stapkit.target]\narch = "arm64"\n[tool.stapkit.format]\nindent = "tab"\n')
    (tmp_path / "sub").mkdir()
    status, out, _ = run([str(tmp_path / "sub")], capsys)
    assert status == 0 and out.startswith(f"# from {tmp_path / 'pyproject.toml'}\n")
    data = tomllib.loads(out)  # the text is TOML a person can paste into stapkit.toml
    assert data["select"] == ["STP5"] and data["fail-on"] == "error"
    assert data["target"]["arch"] == "arm64" and data["target"]["systemtap-version"] == "4.8"
    assert data["format"] == {"indent": "tab", "line-length": 100}
    assert data["target"]["kernel-config"]["CONFIG_64BIT"] == "y"


def test_a_bad_file_or_a_missing_path_is_an_error(tmp_path, capsys):
    (tmp_path / "stapkit.toml").write_text("line-length = 5\n")
    status, _, err = run([str(tmp_path)], capsys)
    assert status == 2 and "stapkit.toml: line-length: must be a number of characters from 20 to 1000" in err
    status, _, err = run([str(tmp_path / "nowhere")], capsys)
    assert status == 2 and "nowhere" in err


def test_config_option_names_the_file_to_show(tmp_path, capsys):
    (tmp_path / "stapkit.toml").write_text('ignore = ["STP504"]\n')
    other = tmp_path / "elsewhere.toml"
    other.write_text('ignore = ["STP501"]\n')
    status, out, _ = run([str(tmp_path), "--config", str(other)], capsys)
    assert status == 0 and out.startswith(f"# from {other}\n") and tomllib.loads(out)["ignore"] == ["STP501"]
    status, _, err = run(["--config", str(tmp_path / "none.toml")], capsys)
    assert status == 2 and "none.toml" in err
