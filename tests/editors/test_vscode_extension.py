"""The VS Code extension: it builds into a .vsix that holds what its package.json names,
and its activate() (run by node against stand-ins for VS Code's API, as no VS Code runs
here) starts the configured command with settings stapkit's server accepts."""

from __future__ import annotations

import json
import subprocess
import zipfile

from tests.editors.tools import VSCODE, require_node_modules


def test_the_extension_packages_into_a_vsix(tmp_path):
    modules = require_node_modules("@vscode/vsce", "vscode-languageclient")
    out = tmp_path / "stapkit-systemtap.vsix"
    done = subprocess.run(
        ["node", str(modules / "@vscode" / "vsce" / "vsce"), "package", "--skip-license",
         "--allow-missing-repository", "--out", str(out)],
        cwd=VSCODE, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(out) as vsix:
        names = set(vsix.namelist())
        manifest = json.loads(vsix.read("extension/package.json"))
        contributes = manifest["contributes"]
        named = [manifest["main"], contributes["languages"][0]["configuration"],
                 contributes["grammars"][0]["path"], contributes["snippets"][0]["path"]]
        for path in named:
            assert "extension/" + path.removeprefix("./") in names, path
        # The language client goes with it (a runtime dependency); the test tools do not.
        assert "extension/node_modules/vscode-languageclient/package.json" in names
        assert not any(name.startswith(("extension/node_modules/vscode-textmate/", "extension/test/"))
                       for name in names)
        for path in named[1:]:
            json.loads(vsix.read("extension/" + path.removeprefix("./")))
        assert contributes["languages"][0]["extensions"] == [".stp", ".stpm"]


def activate(user_settings: dict) -> dict:
    """What the extension's activate() does, run by node against stand-ins for VS Code."""
    require_node_modules()
    done = subprocess.run(["node", str(VSCODE / "test" / "activate.js"), json.dumps(user_settings)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_extension_starts_the_configured_command_with_settings_the_server_accepts(tmp_path):
    from stapkit.lsp.settings import client_settings

    user = {"path": "/opt/stapkit/bin/stapkit", "ignore": ["STP504"], "select": ["STP"], "guru": True,
            "tapsetDirs": ["tapsets"], "args": ["1", "x"], "configurationPreference": "filesystemFirst"}
    started = activate(user)
    assert started["commands"] == started["declared"] == ["stapkit.restart"]
    [client] = started["clients"]
    assert client["serverOptions"]["run"] == {"command": "/opt/stapkit/bin/stapkit", "args": ["lsp"]}
    options = client["clientOptions"]
    assert options["documentSelector"] == [{"language": "systemtap"}]
    assert options["synchronize"]["configurationSection"] == "stapkit"
    sent = options["initializationOptions"]["stapkit"]
    assert "path" not in sent  # the command's path is the extension's, not the server's
    assert {key: sent[key] for key in user if key != "path"} == {k: v for k, v in user.items() if k != "path"}
    settings = client_settings(sent, tmp_path)
    assert settings.args == ("1", "x") and settings.preference == "filesystemFirst"
    assert settings.config is not None


def test_unset_settings_are_sent_as_null_and_leave_the_configuration_file_alone(tmp_path):
    from stapkit.lsp.settings import client_settings

    started = activate({})
    [client] = started["clients"]
    assert client["serverOptions"]["run"] == {"command": "stapkit", "args": ["lsp"]}
    sent = client["clientOptions"]["initializationOptions"]["stapkit"]
    assert sent and all(value is None for value in sent.values())
    settings = client_settings(sent, tmp_path)
    assert settings.config is None and settings.args is None
