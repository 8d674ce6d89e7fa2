"""Which files a command works on: paths as given, directories searched.

A directory is searched for *.stp and *.stpm files, skipping hidden
directories (`.git`, `.venv`, ...) and what is ignored:

* inside a git repository, what its ignore files exclude: the `.gitignore`
  files of the searched directories and of their parents up to the
  repository's top, and `.git/info/exclude` (git's global excludes file is
  not read).  As git, ruff and ripgrep do, `.gitignore` files outside a
  repository are not read.  The patterns are matched as git matches them:
  the last pattern that matches a path decides, a deeper `.gitignore` wins
  over a shallower one, and nothing inside an ignored directory comes back;
* what the `exclude` patterns of a configuration file exclude (gitignore
  syntax, relative to that file's directory; a pattern without a slash,
  such as `*.gen.stp` or `build/`, also matches at any depth outside it).

A file named on the command line is always taken, ignored or not, as ruff
does.  A directory named on the command line is searched even if it is
ignored: the patterns that ignore it, or a directory above it, do not apply
inside it.  Patterns are read with the `pathspec` library, imported only
when there are patterns to read.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NamedTuple, Sequence

SCRIPT_EXTENSIONS = (".stp", ".stpm")


class FileSet(NamedTuple):
    files: list[str]  # in the order given; each directory's scripts sorted
    missing: list[str]  # paths that do not exist
    empty_dirs: list[str]  # directories with no script in them (or none that is not ignored)


class Exclude(NamedTuple):
    """The `exclude` patterns of one configuration file."""

    base: Path  # the directory they are relative to: the configuration file's
    patterns: tuple[str, ...]  # gitignore syntax


def collect(paths: list[str], exclude: Sequence[Exclude] = ()) -> FileSet:
    """The files that `paths` name: files as given, directories searched (see the module's doc)."""
    files: list[str] = []
    missing: list[str] = []
    empty: list[str] = []
    seen: set[str] = set()
    for path in paths:
        if path == "-":
            files.append(path)
            continue
        if os.path.isdir(path):
            found = sorted(_scripts_under(path, exclude))
            if not found:
                empty.append(path)
            for f in found:
                if f not in seen:
                    seen.add(f)
                    files.append(f)
        elif os.path.exists(path) or os.path.islink(path):
            if path not in seen:
                seen.add(path)
                files.append(path)
        else:
            missing.append(path)
    return FileSet(files, missing, empty)


def _scripts_under(directory: str, exclude: Sequence[Exclude]):
    top = os.path.abspath(directory)
    excludes = [m for m in (_Patterns.of_exclude(e, top) for e in exclude) if m.can_match]
    # Each directory the walk will visit: its absolute path, and the patterns
    # of the repository's ignore files that apply in it (None: not in a
    # repository).  os.walk visits a directory before its subdirectories.
    pending = {directory: (top, _Patterns.of_repository_above(top))}
    for root, dirs, names in os.walk(directory):
        absolute, ignores = pending.pop(root)
        if root != directory and (".git" in dirs or ".git" in names):
            ignores = _Patterns.of_repository(absolute)  # a nested repository has its own rules
        if ignores is not None and ".gitignore" in names:
            ignores = ignores.and_ignore_file(absolute)
        matchers = [m for m in (ignores, *excludes) if m is not None and m.can_match]
        kept = []
        for name in sorted(dirs):
            if name.startswith("."):
                continue
            child = os.path.join(absolute, name)
            if not any(m.excludes_directory(child) for m in matchers):
                kept.append(name)
                pending[os.path.join(root, name)] = (child, ignores)
        dirs[:] = kept
        for name in names:
            if name.endswith(SCRIPT_EXTENSIONS) and \
                    not any(m.excludes_file(os.path.join(absolute, name)) for m in matchers):
                yield os.path.join(root, name)


class _Patterns:
    """Gitignore-style patterns, matched against paths relative to a base directory.

    The patterns of all the ignore files that apply in a directory are one
    list, each rewritten relative to the repository's top (`*.stp` in
    `a/.gitignore` becomes `a/**/*.stp`): the last pattern that matches
    decides, so a deeper file's patterns win, as in git.
    """

    def __init__(self, base: str, patterns: list, outside: list | None = None):
        self.base = base
        self.patterns = patterns  # pathspec patterns, for the paths below `base`
        # For `exclude`: the patterns with no slash (but a trailing one), which
        # match a path outside `base` by its name.  None: nothing outside matches.
        self.outside = outside
        self._specs: dict[bool, object] = {}  # inside? -> pathspec.GitIgnoreSpec

    @property
    def can_match(self) -> bool:
        return bool(self.patterns or self.outside)

    # -- making them ---------------------------------------------------------

    @classmethod
    def of_repository_above(cls, top: str) -> "_Patterns | None":
        """The patterns that apply inside `top` from its repository's `info/exclude` and the
        .gitignore files above `top` (its own is read by the walk); None outside a repository."""
        repository = top
        while not os.path.exists(os.path.join(repository, ".git")):
            parent = os.path.dirname(repository)
            if parent == repository:
                return None
            repository = parent
        patterns = cls.of_repository(repository)
        if top == repository:
            return patterns
        folder = repository
        patterns = patterns.and_ignore_file(folder)
        for name in Path(os.path.relpath(top, repository)).parts[:-1]:
            folder = os.path.join(folder, name)
            patterns = patterns.and_ignore_file(folder)
        return patterns.for_inside_of(top)

    @classmethod
    def of_repository(cls, repository: str) -> "_Patterns":
        """A repository's `info/exclude` (the walk adds the .gitignore files)."""
        git_dir = _git_dir(repository)
        lines = _read_lines(os.path.join(git_dir, "info", "exclude")) if git_dir is not None else []
        return cls(repository, _compile(lines))

    @classmethod
    def of_exclude(cls, exclude: Exclude, top: str) -> "_Patterns":
        lines = list(exclude.patterns)
        unanchored = [line for line in lines if not _anchored(line)]
        patterns = cls(os.path.abspath(exclude.base), _compile(lines), _compile(unanchored))
        return patterns.for_inside_of(top)

    def and_ignore_file(self, folder: str) -> "_Patterns":
        """These patterns, then those of `folder`'s .gitignore."""
        lines = _read_lines(os.path.join(folder, ".gitignore"))
        prefix = self._relative(folder)[0]
        added = _compile([_rebase(line, prefix) for line in lines])
        return _Patterns(self.base, self.patterns + added) if added else self

    def for_inside_of(self, directory: str) -> "_Patterns":
        """The patterns to search `directory`, a directory named on the command line, with: if
        they exclude it, all but those that match it or a directory above it.  (A path outside
        the base is matched by its own name alone: nothing to leave out for those.)"""
        relative, inside = self._relative(directory)
        if not inside or not relative or not self.excludes_directory(directory):
            return self
        kept = [p for p in self.patterns if p.match_file(relative + "/") is None]
        return _Patterns(self.base, kept, self.outside)

    # -- matching ------------------------------------------------------------

    def excludes_file(self, path: str) -> bool:
        relative, spec = self._relative_and_spec(path)
        return spec is not None and bool(spec.match_file(relative))

    def excludes_directory(self, path: str) -> bool:
        relative, spec = self._relative_and_spec(path)
        if spec is None:
            return False
        relative += "/"
        result = spec.check_file(relative)
        if not result.include:
            return False
        # A pattern such as `foo/**` matches what is inside foo, not foo
        # itself, though pathspec reports "foo/" as matched: then the walk
        # goes in and decides file by file, so that a later `!foo/keep.stp`
        # takes that file back, as git does.  pathspec marks a match of the
        # directory itself with the group `ps_d`.
        match = spec.patterns[result.index].match_file(relative)
        return match is not None and bool(match.match.groupdict().get("ps_d"))

    def _relative(self, path: str) -> tuple[str, bool]:
        """`path` relative to the base ("/" between names; "" for the base itself) and True,
        or, for a path outside the base, its name and False."""
        if path == self.base:
            return "", True
        base = self.base if self.base.endswith(os.sep) else self.base + os.sep
        if path.startswith(base):
            return path[len(base):].replace(os.sep, "/"), True
        return os.path.basename(path), False

    def _relative_and_spec(self, path: str):
        """What to match `path` as, and the patterns to match it against (None: none apply)."""
        relative, inside = self._relative(path)
        patterns = self.patterns if inside else self.outside
        if not patterns or not relative:
            return relative, None
        if inside not in self._specs:
            import pathspec

            self._specs[inside] = pathspec.GitIgnoreSpec(patterns)
        return relative, self._specs[inside]


def _compile(lines: list[str]) -> list:
    """The pathspec patterns of gitignore lines, leaving out blank lines, comments and the
    lines pathspec cannot read (such as a lone "!"), which match nothing."""
    lines = [line for line in lines if line.strip() and not line.startswith("#")]
    if not lines:
        return []  # no need to import pathspec
    import pathspec

    patterns = []
    for line in lines:
        try:
            patterns += [p for p in pathspec.GitIgnoreSpec.from_lines([line]).patterns if p.include is not None]
        except ValueError:
            continue
    return patterns


def _rebase(line: str, prefix: str) -> str:
    """A line of the .gitignore in the directory `prefix` ("a/b", relative to the top; "" is the
    top), as a line of the top's .gitignore."""
    if not prefix or not line.strip() or line.startswith("#"):
        return line
    negated = line.startswith("!")
    body = line[1:] if negated else line
    rebased = f"{prefix}/{body.lstrip('/')}" if _anchored(body) else f"{prefix}/**/{body}"
    return ("!" if negated else "") + rebased


def _anchored(pattern: str) -> bool:
    """Git: a slash at the start or in the middle ties a pattern to its file's directory;
    otherwise it matches at any depth below it."""
    return "/" in pattern.removeprefix("!").rstrip().rstrip("/")


def _git_dir(repository: str) -> str | None:
    """The git directory of a repository: `.git`, or where a `.git` file (a worktree or a
    submodule) points; a worktree's `info/exclude` is in the common directory."""
    dot_git = os.path.join(repository, ".git")
    if os.path.isdir(dot_git):
        return dot_git
    lines = _read_lines(dot_git)
    first = lines[0].strip() if lines else ""
    if not first.startswith("gitdir:"):
        return None
    git_dir = os.path.join(repository, first[len("gitdir:"):].strip())
    common = _read_lines(os.path.join(git_dir, "commondir"))
    if common and common[0].strip():
        git_dir = os.path.join(git_dir, common[0].strip())
    return os.path.normpath(git_dir)


def _read_lines(path: str) -> list[str]:
    """The lines of a small text file (an ignore file, a `.git` file); none if it is missing,
    unreadable, not a regular file (a FIFO would block the read) or larger than a megabyte."""
    from ..fileio import FileError, read_bytes

    try:
        return read_bytes(path, 1024 * 1024).decode("utf-8", "replace").splitlines()
    except FileError:
        return []


def warn(message: str) -> None:
    print(f"stapkit: warning: {message}", file=sys.stderr)


def error(message: str) -> None:
    print(f"stapkit: error: {message}", file=sys.stderr)


def write_atomically(path, text: str | bytes, *, keep_mode: bool = False) -> None:
    """Write `text` (str or bytes) to `path` with stapkit.fileio.write_file: atomically, through
    links, keeping the mode of a file that exists (`keep_mode` is kept for the callers: an
    existing file always keeps its mode now).  The directory is made if missing.  Raises
    OSError, whose strerror says why (without the file name)."""
    from ..fileio import FileError, exact_bytes, write_file

    del keep_mode
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        write_file(str(path), text if isinstance(text, bytes) else exact_bytes(text))
    except FileError as err:
        raise OSError(0, err.reason) from None


def write_stdout(text: str) -> None:
    """Write a script's text to standard output byte for byte (the bytes that were not UTF-8
    included: stapkit/fileio.py)."""
    from ..fileio import exact_bytes

    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (tests): nothing to keep but the text
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(exact_bytes(text))
    buffer.flush()


def unified_diff(before: str, after: str, path: str) -> str:
    """A unified diff of one file that `git apply` takes (a/ and b/ prefixes, a missing final
    newline marked as git marks it)."""
    import difflib

    name = path.lstrip("/")
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 f"a/{name}", f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def file_size(path: str) -> int:
    """The size of a file, 0 if it cannot be read (for scheduling the largest files first)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
