"""The VS Code extension builds into a .vsix that holds what its package.json names."""

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
