"""Configuration files: discovery, checking, and precedence under the command line."""

from __future__ import annotations

import json

import pytest

from stapkit.cli import main
from stapkit.config import ConfigError, find_config, load_config

CONDITIONAL = '%( kernel_v < "3.0" %? probe begin { x = ( } %: probe end { } %)\n'


def test_discovery_walks_up_and_prefers_stapkit_toml(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.stapkit]\nguru = true\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_config(sub) == (tmp_path / "pyproject.toml").resolve()
    (tmp_path / "a" / "stapkit.toml").write_text("guru = false\n")
    assert find_config(sub / "x.stp") == (tmp_path / "a" / "stapkit.toml").resolve()


def test_pyproject_without_stapkit_table_is_skipped(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_config(tmp_path) is None or find_config(tmp_path).parent != tmp_path


def test_values_are_read(tmp_path):
    path = tmp_path / "stapkit.toml"
    path.write_text('guru = true\ninclude = ["tapsets"]\n[target]\nkernel-version = "3.10.0-1160.el7"\n'
                    'arch = "i386"\nkernel-config = { CONFIG_FOO = "y" }\n')
    config = load_config(path)
    assert config.guru and config.include == (tmp_path / "tapsets",)
    assert config.target["kernel_v"] == "3.10.0" and config.target["arch"] == "i386"
    assert config.target["kernel_config"]["CONFIG_FOO"] == "y"


@pytest.mark.parametrize("text,needle", [
    ("gru = true\n", "gru: unknown key"),
    ("guru = 1\n", "guru: must be true or false"),
    ("[target]\nkernel = \"5\"\n", "target.kernel: unknown key"),
    ('[target]\nruntime = "xen"\n', "target.runtime: must be one of"),
    ("include = \"dir\"\n", "include: must be a list"),
    ("guru = \n", "not valid TOML"),
])
def test_bad_configuration_names_the_key(tmp_path, text, needle):
    path = tmp_path / "stapkit.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert needle in str(err.value) and str(path) in str(err.value)


def run(args, capsys):
    status = main(["parse", "--output-format", "json", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_configuration_sets_the_target(tmp_path, capsys):
    script = tmp_path / "cond.stp"
    script.write_text(CONDITIONAL)
    status, out, _ = run([str(script)], capsys)
    assert status == 0 and json.loads(out)[0]["severity"] == "warning"
    (tmp_path / "stapkit.toml").write_text('[target]\nkernel-version = "2.6.32-696.el6"\n')
    status, out, _ = run([str(script)], capsys)
    assert status == 1 and json.loads(out)[0]["severity"] == "error"
    # The command line wins over the file.
    status, out, _ = run([str(script), "--kernel-version", "6.1.0"], capsys)
    assert status == 0
    # --isolated ignores the file.
    assert run([str(script), "--isolated"], capsys)[0] == 0


def test_configuration_switches_guru_mode(tmp_path, capsys):
    script = tmp_path / "guru.stp"
    script.write_text("%{ #include <linux/sched.h> %}\nprobe begin { }\n")
    assert run([str(script)], capsys)[0] == 1
    (tmp_path / "pyproject.toml").write_text("[tool.stapkit]\nguru = true\n")
    assert run([str(script)], capsys)[0] == 0


def test_bad_configuration_exits_two(tmp_path, capsys):
    script = tmp_path / "x.stp"
    script.write_text("probe begin { }\n")
    (tmp_path / "stapkit.toml").write_text("colour = true\n")
    status, _, err = run([str(script)], capsys)
    assert status == 2 and "colour: unknown key" in err
    explicit = tmp_path / "other.toml"
    explicit.write_text("guru = 3\n")
    status, _, err = run([str(script), "--config", str(explicit)], capsys)
    assert status == 2 and "guru: must be true or false" in err


def test_top_level_line_length_is_the_formatters_unless_format_sets_one(tmp_path):
    from stapkit.config import load_config

    path = tmp_path / "stapkit.toml"
    path.write_text("line-length = 80\n")
    assert load_config(path).format_line_length == 80
    path.write_text("line-length = 80\n[format]\nline-length = 120\n")
    assert load_config(path).format_line_length == 120
