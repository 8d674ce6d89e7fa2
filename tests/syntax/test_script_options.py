"""The options a script's first line gives stap."""

from __future__ import annotations

from stapkit.syntax.script_options import first_line_options, parse_stap_options
from stapkit.syntax.target import Target

from ..helpers import codes, parse


def test_shebang_forms():
    assert first_line_options("#! stap -p1\n").last_pass == 1
    assert first_line_options("#!/usr/bin/stap -gp4\n").guru
    assert first_line_options("#!/usr/bin/env stap -g\n").guru
    assert first_line_options("#! /bin/sh\n") is None
    assert first_line_options("probe begin {}") is None


def test_option_clusters_and_values():
    options = parse_stap_options(["-gup4", "--compatible=2.9", "-I", "dir", "-DMAXACTION=10", "-a", "i386",
                                  "-r", "2.6.32-696.el6", "--runtime", "dyninst", "-w"])
    assert options.guru and options.unoptimized and options.last_pass == 4
    assert options.compatible == "2.9" and options.include_dirs == ("dir",)
    assert options.defines == ("MAXACTION=10",) and options.warnings == "off"
    target = options.apply(Target())
    assert (target.arch, target.kernel_v, target.kernel_vr, target.runtime, target.systemtap_v) == \
        ("i386", "2.6.32", "2.6.32-696.el6", "dyninst", "2.9")


def test_first_line_changes_how_the_script_is_read():
    guru_only = 'probe begin { x = @const("x") }'
    assert codes(parse(guru_only)) == ["STP602"]
    assert codes(parse("#! stap -g\n" + guru_only)) == []
    # --compatible=2.9: `private` is a plain name, @const unknown.
    assert codes(parse("#! stap --compatible=2.9 -p1\nprobe begin { private = 1 }")) == []
    # -r and -a decide %( %) conditionals.
    result = parse('#! stap -a i386\n%( arch == "i386" %? probe begin { } %)')
    assert len(result.script.items) == 1


def test_env_with_split_string():
    assert first_line_options("#!/usr/bin/env -S stap -g -p4\n").guru
