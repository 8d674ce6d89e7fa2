"""userspace.resolve: the file process(...) and .library(...) name, as stap finds it."""

from __future__ import annotations

import os
import shutil

from stapkit.userspace.resolve import find_library, find_program, in_sysroot, library_dirs


def _image(tmp_path, programs):
    """A sysroot: /usr/bin/prog, its library in /opt/demo/lib (named by /etc/ld.so.conf.d), links."""
    root = tmp_path / "image"
    (root / "usr/bin").mkdir(parents=True)
    (root / "opt/demo/lib").mkdir(parents=True)
    (root / "etc/ld.so.conf.d").mkdir(parents=True)
    shutil.copy(programs.plain, root / "usr/bin/prog")
    shutil.copy(programs.library, root / "opt/demo/lib/libdemo.so.1")
    (root / "etc/ld.so.conf").write_text("# comment\ninclude /etc/ld.so.conf.d/*.conf\n")
    (root / "etc/ld.so.conf.d/demo.conf").write_text("/opt/demo/lib\n")
    os.symlink("/usr/bin/prog", root / "usr/bin/prog-link")  # absolute: inside the image
    os.symlink("/opt/demo/lib/libdemo.so.1", root / "opt/demo/lib/libdemo.so")
    return root


def test_absolute_path(programs):
    assert find_program(str(programs.plain)) == os.path.realpath(programs.plain)
    assert find_program("/no/such/program") is None


def test_bare_name_is_looked_up_in_path(programs):
    directory = str(programs.plain.parent)
    assert find_program("prog", path_env=f"/nonexistent:{directory}") == os.path.realpath(programs.plain)
    assert find_program("prog", path_env="/nonexistent") is None
    assert find_program("demo.h", path_env=directory) is None  # not executable


def test_sysroot_paths_and_links(tmp_path, programs):
    root = _image(tmp_path, programs)
    assert find_program("/usr/bin/prog", str(root)) == str(root / "usr/bin/prog")
    assert find_program("/usr/bin/prog-link", str(root)) == str(root / "usr/bin/prog")
    assert find_program("prog", str(root), path_env="/usr/local/bin:/usr/bin") == str(root / "usr/bin/prog")
    assert find_program("/usr/bin/prog") is None or not str(find_program("/usr/bin/prog")).startswith(str(root))
    assert in_sysroot("/../../usr/bin/prog", str(root)) == str(root / "usr/bin/prog")  # never above the root


def test_library_through_ld_so_conf_under_sysroot(tmp_path, programs):
    root = _image(tmp_path, programs)
    assert "/opt/demo/lib" in library_dirs(str(root), ld_library_path="")
    assert find_library("libdemo.so.1", str(root)) == str(root / "opt/demo/lib/libdemo.so.1")
    assert find_library("libdemo.so", str(root)) == str(root / "opt/demo/lib/libdemo.so.1")
    assert find_library("libnothere.so", str(root)) is None


def test_library_through_runpath_origin(programs):
    directory = str(programs.plain.parent)
    assert find_library("libdemo.so", runpath=("$ORIGIN",), origin=directory) == os.path.realpath(programs.library)


def test_missing_compiler_skips_or_fails_under_require_corpora(monkeypatch):
    import pytest

    from .programs import need

    monkeypatch.delenv("STAPKIT_REQUIRE_CORPORA", raising=False)
    with pytest.raises(pytest.skip.Exception, match="gcc is not installed"):
        need("gcc", False)
    monkeypatch.setenv("STAPKIT_REQUIRE_CORPORA", "1")
    with pytest.raises(pytest.fail.Exception, match="gcc is not installed"):
        need("gcc", False)
    need("gcc", True)  # found: nothing happens
