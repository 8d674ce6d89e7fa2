"""File discovery (stapkit/cli/files.py collect): directories searched for scripts, minus what
.gitignore files and `exclude` patterns leave out; files named on the command line always taken.

The ignore rules are checked against git itself where git is installed: for
each tree below, `collect` finds exactly the scripts `git ls-files --others
--exclude-standard` lists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from stapkit.cli.files import Exclude, collect

TAPSET_LIBRARY = Path("/usr/share/systemtap/tapset")


def make_tree(root: Path, files: dict[str, str | list[str]]) -> Path:
    """Files under `root`: a list value is the lines of a file (an ignore file), a string its text."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(content) + "\n" if isinstance(content, list) else content)
    return root


def found(root: Path, *paths: str, exclude=()) -> list[str]:
    """The files collect() finds from `paths` (relative to root), relative to root."""
    result = collect([str(root / p) if p else str(root) for p in paths or ("",)], exclude)
    return sorted(os.path.relpath(f, root).replace(os.sep, "/") for f in result.files)


def repository(root: Path, files: dict) -> Path:
    """A tree that is a git repository (for discovery, a `.git` directory is what makes one)."""
    (root / ".git" / "info").mkdir(parents=True)
    return make_tree(root, files)


# -- what was there before: files, directories, missing paths -----------------


def test_scripts_in_directories_are_found_sorted_and_hidden_directories_skipped(tmp_path):
    make_tree(tmp_path, {"b.stp": "", "a/z.stpm": "", "a/y.stp": "", "a/notes.txt": "",
                         ".hidden/x.stp": "", "a/.cache/w.stp": ""})
    assert found(tmp_path) == ["a/y.stp", "a/z.stpm", "b.stp"]


def test_missing_paths_empty_directories_and_standard_input(tmp_path):
    make_tree(tmp_path, {"empty/readme.txt": "", "x.stp": ""})
    result = collect([str(tmp_path / "nope.stp"), str(tmp_path / "empty"), "-", str(tmp_path / "x.stp")])
    assert result.missing == [str(tmp_path / "nope.stp")]
    assert result.empty_dirs == [str(tmp_path / "empty")]
    assert result.files == ["-", str(tmp_path / "x.stp")]


def test_a_file_found_twice_is_taken_once_in_the_order_given(tmp_path):
    make_tree(tmp_path, {"d/a.stp": "", "d/b.stp": ""})
    result = collect([str(tmp_path / "d" / "b.stp"), str(tmp_path / "d")])
    assert result.files == [str(tmp_path / "d" / "b.stp"), str(tmp_path / "d" / "a.stp")]


def test_paths_keep_the_form_they_were_given_in(tmp_path, monkeypatch):
    make_tree(tmp_path, {"lib/x.stp": ""})
    monkeypatch.chdir(tmp_path)
    assert collect(["lib"]).files == [os.path.join("lib", "x.stp")]
    assert collect(["lib/"]).files == ["lib/x.stp"]


# -- .gitignore ---------------------------------------------------------------


def test_gitignore_files_of_a_repository_leave_out_what_they_exclude(tmp_path):
    repository(tmp_path, {".gitignore": ["build/", "*.gen.stp"], "build/out.stp": "",
                          "src/a.stp": "", "src/b.gen.stp": "", "src/.gitignore": ["!b.gen.stp", "old/"],
                          "src/old/c.stp": "", "other/d.gen.stp": ""})
    assert found(tmp_path) == ["src/a.stp", "src/b.gen.stp"]


def test_gitignore_files_above_the_searched_directory_apply_up_to_the_repository_top(tmp_path):
    make_tree(tmp_path, {".gitignore": ["*"]})  # above the repository: not read
    repo = repository(tmp_path / "repo", {
        ".gitignore": ["*.gen.stp", "/src/skip.stp"], "src/.gitignore": ["tmp/"],
        "src/lib/x.stp": "", "src/lib/y.gen.stp": "", "src/lib/tmp/z.stp": "",
        "src/skip.stp": "", "src/keep.stp": ""})
    assert found(repo, "src/lib") == ["src/lib/x.stp"]
    assert found(repo, "src") == ["src/keep.stp", "src/lib/x.stp"]


def test_info_exclude_applies_and_a_gitignore_overrides_it(tmp_path):
    repository(tmp_path, {".git/info/exclude": ["# comment", "*.local.stp"], ".gitignore": ["!keep.local.stp"],
                          "a.local.stp": "", "keep.local.stp": "", "b.stp": ""})
    assert found(tmp_path) == ["b.stp", "keep.local.stp"]


def test_outside_a_repository_gitignore_files_are_not_read(tmp_path):
    make_tree(tmp_path, {".gitignore": ["*.stp"], "a.stp": "", "d/.gitignore": ["*"], "d/b.stp": ""})
    assert found(tmp_path) == ["a.stp", "d/b.stp"]


def test_a_worktree_or_submodule_git_file_points_to_the_exclude_file(tmp_path):
    git_dir = tmp_path / "elsewhere" / "gitdir"
    make_tree(tmp_path, {"elsewhere/gitdir/info/exclude": ["*.skip.stp"],
                         "work/.git": "gitdir: ../elsewhere/gitdir\n", "work/a.stp": "", "work/b.skip.stp": ""})
    assert git_dir.is_dir()
    assert found(tmp_path / "work") == ["a.stp"]


def test_a_nested_repository_has_its_own_rules(tmp_path):
    repository(tmp_path, {".gitignore": ["*.gen.stp"], "a.gen.stp": "",
                          "inner/.git/info/exclude": "", "inner/b.gen.stp": "", "inner/.gitignore": ["c.stp"],
                          "inner/c.stp": ""})
    assert found(tmp_path) == ["inner/b.gen.stp"]


def test_unreadable_and_odd_ignore_lines_do_no_harm(tmp_path):
    repository(tmp_path, {".gitignore": ["!", "", "   ", "# *.stp", "\\#h.stp", "x.stp"],
                          "#h.stp": "", "x.stp": "", "y.stp": ""})
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".gitignore").write_bytes(b"\xff\xfe*.stp\n")
    (tmp_path / "sub" / "z.stp").write_text("")
    assert found(tmp_path) == ["sub/z.stp", "y.stp"]


# -- explicit paths -----------------------------------------------------------


def test_a_file_named_on_the_command_line_is_always_taken(tmp_path):
    repository(tmp_path, {".gitignore": ["build/", "*.gen.stp"], "build/out.stp": "", "x.gen.stp": ""})
    exclude = [Exclude(tmp_path, ("x.gen.stp",))]
    assert found(tmp_path, "build/out.stp", "x.gen.stp", exclude=exclude) == ["build/out.stp", "x.gen.stp"]


def test_a_directory_named_on_the_command_line_is_searched_even_if_ignored(tmp_path):
    repository(tmp_path, {".gitignore": ["build/", "*.gen.stp"], "build/out.stp": "",
                          "build/sub/deep.stp": "", "build/x.gen.stp": "", "build/tmp/t.stp": "",
                          "build/.gitignore": ["tmp/"]})
    assert found(tmp_path) == []
    # The pattern that ignores build/ does not apply inside it; the others do.
    assert found(tmp_path, "build") == ["build/out.stp", "build/sub/deep.stp"]
    assert found(tmp_path, "build/sub") == ["build/sub/deep.stp"]


# -- exclude patterns from configuration ---------------------------------------


def test_exclude_patterns_are_relative_to_the_configuration_directory(tmp_path):
    make_tree(tmp_path, {"proj/gen/a.stp": "", "proj/src/gen/b.stp": "", "proj/src/c.stp": "",
                         "proj/src/d.generated.stp": "", "proj/keep.stp": ""})
    exclude = [Exclude(tmp_path / "proj", ("/gen/", "*.generated.stp"))]
    assert found(tmp_path, "proj", exclude=exclude) == ["proj/keep.stp", "proj/src/c.stp", "proj/src/gen/b.stp"]


def test_exclude_patterns_without_a_slash_match_by_name_outside_their_directory(tmp_path):
    make_tree(tmp_path, {"conf/stapkit.toml": "", "scripts/build/a.stp": "", "scripts/x.generated.stp": "",
                         "scripts/gen/b.stp": "", "scripts/c.stp": ""})
    exclude = [Exclude(tmp_path / "conf", ("build/", "*.generated.stp", "/gen/"))]
    assert found(tmp_path, "scripts", exclude=exclude) == ["scripts/c.stp", "scripts/gen/b.stp"]


def test_a_directory_named_on_the_command_line_is_searched_even_if_excluded(tmp_path):
    make_tree(tmp_path, {"proj/build/a.stp": "", "proj/build/b.generated.stp": "", "other/build/c.stp": ""})
    exclude = [Exclude(tmp_path / "proj", ("build/", "*.generated.stp"))]
    assert found(tmp_path, "proj", "other", exclude=exclude) == []
    assert found(tmp_path, "proj/build", "other/build", exclude=exclude) == ["other/build/c.stp", "proj/build/a.stp"]


def test_exclude_applies_outside_a_repository_and_adds_to_gitignore(tmp_path):
    make_tree(tmp_path, {"plain/a.stp": "", "plain/b.stp": ""})
    assert found(tmp_path, "plain", exclude=[Exclude(tmp_path, ("b.stp",))]) == ["plain/a.stp"]
    repository(tmp_path / "repo", {".gitignore": ["a.stp"], "a.stp": "", "b.stp": "", "c.stp": ""})
    assert found(tmp_path, "repo", exclude=[Exclude(tmp_path / "repo", ("b.stp",))]) == ["repo/c.stp"]


def test_a_directory_whose_scripts_are_all_excluded_is_reported_as_empty(tmp_path):
    make_tree(tmp_path, {"d/a.stp": ""})
    result = collect([str(tmp_path / "d")], [Exclude(tmp_path, ("a.stp",))])
    assert result.files == [] and result.empty_dirs == [str(tmp_path / "d")]


# -- against git itself --------------------------------------------------------

GIT_CASES = [
    {".gitignore": ["build/", "!build/keep.stp"], "build/keep.stp": "", "build/x.stp": "", "a.stp": ""},
    {".gitignore": ["foo/**", "!foo/keep.stp"], "foo/keep.stp": "", "foo/x.stp": "", "foo/sub/y.stp": ""},
    {".gitignore": ["*.stp", "!a/"], "a/x.stp": "", "b.stp": ""},
    {".gitignore": ["a", "!a/"], "a/b/a.stp": "", "a/c.stp": "", "x/a": ""},
    {".gitignore": ["*.stp", "!keep*.stp"], "x.stp": "", "keep1.stp": "", "d/keep2.stp": ""},
    {".gitignore": ["/top.stp", "sub/*.stp"], "top.stp": "", "d/top.stp": "", "sub/x.stp": "",
     "d/sub/x.stp": "", "sub/s/x.stp": ""},
    {".gitignore": ["**/gen/", "!gen/"], "gen/x.stp": "", "a/gen/x.stp": ""},
    {".gitignore": ["*", "!*/", "!*.stp"], "x.stp": "", "d/y.stp": "", "d/z.stpm": ""},
    {".gitignore": ["d/**/e.stp", "x?.stp", "[ab].stp"], "d/e.stp": "", "d/q/e.stp": "", "xa.stp": "",
     "a.stp": "", "c.stp": ""},
    {".gitignore": ["*.stp"], "a/.gitignore": ["!x.stp"], "x.stp": "", "a/x.stp": "", "a/b/x.stp": "",
     "a/y.stp": ""},
    {".gitignore": ["gen.stp"], "a/.gitignore": ["/only.stp", "b/deep.stp", "!gen.stp"], "gen.stp": "",
     "a/gen.stp": "", "a/only.stp": "", "a/c/only.stp": "", "a/b/deep.stp": "", "a/c/b/deep.stp": ""},
    {".git/info/exclude": ["*.tmp.stp"], ".gitignore": ["!keep.tmp.stp"], "a.tmp.stp": "",
     "keep.tmp.stp": "", "d/b.tmp.stp": ""},
    {".gitignore": ["**/", "!top.stp"], "top.stp": "", "d/x.stp": ""},
    {".gitignore": ["/*", "!/foo", "/foo/*", "!/foo/bar"], "top.stp": "", "foo/x.stp": "",
     "foo/bar/y.stp": "", "foo/baz/z.stp": ""},
    {".gitignore": ["x.stp ", "y\\ .stp", "\\#h.stp", "d/ "], "x.stp": "", "y .stp": "", "#h.stp": "",
     "d/z.stp": "", "ok.stp": ""},
]


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)})


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize("files", GIT_CASES, ids=lambda files: " ".join(files[".gitignore"]) if ".gitignore"
                         in files else "info-exclude")
def test_collect_finds_what_git_does_not_ignore(tmp_path, files):
    assert _git("init", "-q", ".", cwd=tmp_path).returncode == 0
    make_tree(tmp_path, files)
    directories = sorted({str(Path(name).parent) for name in files if not name.startswith(".git/")})
    for directory in directories:
        where = tmp_path / directory
        if directory != "." and _git("check-ignore", "-q", f"{directory}/", cwd=tmp_path).returncode == 0:
            continue  # an ignored directory named explicitly is searched: not git's behaviour
        listed = _git("ls-files", "--others", "--exclude-standard", "-z", "--", f"{directory}/"
                      if directory != "." else ".", cwd=tmp_path).stdout.split("\0")
        expected = sorted(p for p in listed if p.endswith((".stp", ".stpm")))
        assert found(tmp_path, "" if directory == "." else directory) == expected, directory


# -- the real tapset library ----------------------------------------------------


@pytest.mark.corpus
@pytest.mark.skipif(not TAPSET_LIBRARY.is_dir(), reason="SystemTap's tapset library is not installed")
def test_the_tapset_library_is_found_whole():
    expected = sorted(str(p) for p in TAPSET_LIBRARY.rglob("*") if p.suffix in (".stp", ".stpm")
                      and not any(part.startswith(".") for part in p.relative_to(TAPSET_LIBRARY).parts[:-1]))
    result = collect([str(TAPSET_LIBRARY)])
    assert sorted(result.files) == expected and len(expected) > 500
