"""Build tapset_db/probe-families-releases.json: SystemTap's built-in probe families, release by release.

    python3 tools/build_family_releases.py --git-dir /work/.mirror/sailfishos-mirror+systemtap/repo \
        [-o tapset_db/probe-families-releases.json] [--show 4.8]

The releases and their commits are the ones the release history
(tapset_db/tapsets-releases.jsonl) was built from, so the result does not
depend on where the mirror's branches point today.

stap registers its built-in families in C++: each `register_*` function
binds chains of components onto the session's match tree
(`root->bind(TOK_KERNEL)->bind_str(TOK_FUNCTION)->bind(TOK_RETURN)->bind(builder)`),
some through helpers that take a match node (`register_function_variants(fv_root, ...)`)
or over arrays of roots.  This tool reads exactly that much of each release's
tapset*.cxx, from register_standard_tapsets and the functions it calls: a small
interpreter of those statements (see `Reader`), bounded
in depth and size.  It follows every branch of an `if` or `#if` it cannot
decide (a family compiled in only with some configure option is still the
release's family), and decides two kinds it can: `strverscmp(s.compatible...)`
gates (against the release itself: the default --compatible) and
`pr_contains(privilege, ...)` on a helper's argument.  The output holds facts
only: pattern strings and the releases that have them.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FORMAT = "stapkit-probe-families-releases-1"
MAX_DEPTH = 8  # helper calls nested deeper than this are a reading error
MAX_TOKENS = 2_000_000  # per release

_KEYWORDS = {"if", "for", "while", "switch", "catch", "return", "sizeof", "else", "do"}
_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|[A-Za-z_]\w*|\d[\w.]*|->|::|==|!=|<=|>=|&&|\|\||\S')
_TOK_DEF = re.compile(r'\b(TOK_\w+)\s*(?:\(\s*|=\s*|\s+)"([^"]*)"')
_PASS_THROUGH = {"bind_privilege", "bind_unprivileged", "allow_unprivileged"}
_KINDS = {"bind": None, "bind_str": "string", "bind_num": "number"}
_PRIVILEGED = {"pr_privileged", "pr_stapdev", "pr_stapsys", "false"}  # pr_contains(these, pr_stapusr) is false


class ReadError(Exception):
    """The registration code has a shape this reader does not know."""


def strip_source(text: str) -> str:
    """C++ without comments and without `#if 0` blocks; other preprocessor lines are dropped
    (both sides of an `#if`/`#else` are kept: see the module docstring)."""
    text = re.sub(r'//[^\n]*|/\*.*?\*/|("(?:\\.|[^"\\\n])*")', lambda m: m.group(1) or " ", text, flags=re.S)
    out, dead = [], 0
    for line in text.split("\n"):
        directive = line.strip()
        if directive.startswith("#"):
            word = directive[1:].strip()
            if dead:
                if word.startswith("if"):
                    dead += 1
                elif word.startswith("endif") or (dead == 1 and word.startswith(("else", "elif"))):
                    dead -= 1
            elif re.match(r"if\s+0\b", word):
                dead = 1
            continue
        if not dead:
            out.append(line)
    return "\n".join(out)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text))


class Reader:
    """The families one release's sources register (a set of pattern strings)."""

    def __init__(self, sources: dict[str, str], release: str):
        self.release = release
        self.tokens_of: dict[str, str] = {}
        self.functions: dict[str, list[tuple[list[str], list[str]]]] = {}  # name -> [(params, body tokens)]
        self.entries: list[tuple[str, list[str]]] = []  # (name, body) of the functions binding on pattern_root
        self.patterns: set[str] = set()
        budget = MAX_TOKENS
        for name in sorted(sources):
            text = strip_source(sources[name])
            for tok, value in _TOK_DEF.findall(text):
                self.tokens_of.setdefault(tok, value)
            tokens = _TOKEN.findall(text)
            budget -= len(tokens)
            if budget < 0:
                raise ReadError(f"{release}: more than {MAX_TOKENS} tokens of registration sources")
            self._functions(tokens)

    # -- functions ---------------------------------------------------------------

    def _functions(self, tokens: list[str]) -> None:
        """Every `NAME(params) [const] { body }` (members and free functions alike)."""
        i = 0
        while i < len(tokens):
            if tokens[i] == "{" and i > 0 and tokens[i - 1] in (")", "const"):
                close = i - 1 if tokens[i - 1] == ")" else i - 2
                open_ = _match_back(tokens, close)
                end = _match(tokens, i)
                if open_ is not None and open_ > 0 and end is not None:
                    name = tokens[open_ - 1]
                    if re.match(r"[A-Za-z_]\w*$", name) and name not in _KEYWORDS:
                        params = [_last_ident(p) for p in _split(tokens[open_ + 1:close], ",")]
                        body = tokens[i + 1:end]
                        self.functions.setdefault(name, []).append((params, body))
                        if "pattern_root" in body and "match_node" not in tokens[open_ + 1:close]:
                            self.entries.append((name, body))
                        i = end + 1
                        continue
            i += 1

    def read(self) -> set[str]:
        """The patterns registered by register_standard_tapsets and the functions it calls
        (a registration function nothing calls registers nothing)."""
        standard = [body for name, body in self.entries if name == "register_standard_tapsets"]
        if not standard:
            raise ReadError(f"{self.release}: no register_standard_tapsets binding on the pattern root")
        called = {tok for body in standard for tok in body}
        for name, body in self.entries:
            if name == "register_standard_tapsets" or name in called:
                self._block(body, {}, 0)
        return self.patterns

    # -- statements ----------------------------------------------------------------

    def _block(self, tokens: list[str], env: dict, depth: int) -> None:
        i = 0
        while i < len(tokens):
            i = self._statement(tokens, i, env, depth)

    def _statement(self, tokens: list[str], i: int, env: dict, depth: int) -> int:
        """Run the statement at tokens[i]; the index after it."""
        tok = tokens[i]
        if tok == "{":
            end = _need(_match(tokens, i), "{")
            self._block(tokens[i + 1:end], env, depth)
            return end + 1
        if tok == ";":
            return i + 1
        if tok in ("if", "for", "while", "switch"):
            close = _need(_match(tokens, i + 1), "(")
            decided = self._condition(tokens[i + 2:close], env) if tok == "if" else None
            after = self._skip(tokens, close + 1)
            if decided is not False:
                self._statement(tokens, close + 1, env, depth)
            if after < len(tokens) and tokens[after] == "else":
                end = self._skip(tokens, after + 1)
                if decided is not True:
                    self._statement(tokens, after + 1, env, depth)
                return end
            return after
        if tok in ("else", "do", "try"):
            return i + 1
        end = i
        while end < len(tokens) and tokens[end] != ";":
            if tokens[end] in "({[":
                end = _need(_match(tokens, end), tokens[end])
            end += 1
        self._simple(tokens[i:end], env, depth)
        return end + 1

    def _skip(self, tokens: list[str], i: int) -> int:
        """The index after the statement at tokens[i], without running it."""
        if i >= len(tokens):
            return i
        if tokens[i] == "{":
            return _need(_match(tokens, i), "{") + 1
        if tokens[i] in ("if", "for", "while", "switch"):
            close = _need(_match(tokens, i + 1), "(")
            after = self._skip(tokens, close + 1)
            if tokens[i] == "if" and after < len(tokens) and tokens[after] == "else":
                return self._skip(tokens, after + 1)
            return after
        end = i
        while end < len(tokens) and tokens[end] != ";":
            if tokens[end] in "({[":
                end = _need(_match(tokens, end), tokens[end])
            end += 1
        return end + 1

    def _condition(self, tokens: list[str], env: dict):
        """True or False when the reader can decide the condition, else None."""
        text = " ".join(tokens)
        gate = re.fullmatch(r'strverscmp \( \w+ (?:\.|->) compatible \. c_str \( \) , "([\d.]+)" \) (<=|<|>=|>|==) 0',
                            text)
        if gate:
            a, b = _version(self.release), _version(gate.group(1))
            cmp = (a > b) - (a < b)
            return {"<=": cmp <= 0, "<": cmp < 0, ">=": cmp >= 0, ">": cmp > 0, "==": cmp == 0}[gate.group(2)]
        negated = False
        if tokens[:1] == ["!"]:
            negated, tokens = True, tokens[1:]
            text = " ".join(tokens)
        contains = re.fullmatch(r"pr_contains \( (\w+) , pr_stapusr \)", text)
        if contains and isinstance(env.get(contains.group(1)), str):
            value = env[contains.group(1)] not in _PRIVILEGED
            return value != negated
        return None

    def _simple(self, tokens: list[str], env: dict, depth: int) -> None:
        if not tokens or tokens[0] in ("return", "delete", "throw", "break", "continue"):
            return
        # `roots.push_back(EXPR)`
        if len(tokens) > 4 and tokens[1] in (".", "->") and tokens[2] == "push_back":
            value = self._expr(tokens[4:-1], env, depth)
            if isinstance(value, set):
                env.setdefault(tokens[0], set())
                if isinstance(env[tokens[0]], set):
                    env[tokens[0]] |= value
            return
        eq = _top_level(tokens, "=")
        if eq is not None:
            lhs, rhs = tokens[:eq], tokens[eq + 1:]
            name = _last_ident([t for t in lhs if t not in ("[", "]")])
            if rhs[:1] == ["{"]:
                value: object = set()
                for part in _split(rhs[1:_need(_match(rhs, 0), "{")], ","):
                    got = self._expr(part, env, depth)
                    if isinstance(got, set):
                        value |= got
            else:
                value = self._expr(rhs, env, depth)
            if name is not None:
                env[name] = value
            return
        self._expr(tokens, env, depth)

    # -- expressions -----------------------------------------------------------------

    def _expr(self, tokens: list[str], env: dict, depth: int):
        """A set of match-tree paths for a node expression; a name for anything else (None: unknown)."""
        if not tokens:
            return None
        if tokens[0] in ("(",) and _match(tokens, 0) == len(tokens) - 1:
            return self._expr(tokens[1:-1], env, depth)
        # a helper call: NAME(args) or Class::NAME(args)
        start = 2 if len(tokens) > 2 and tokens[1] == "::" else 0
        name = tokens[start]
        if (len(tokens) > start + 1 and tokens[start + 1] == "(" and _match(tokens, start + 1) == len(tokens) - 1
                and name in self.functions):
            self._call(name, _split(tokens[start + 2:-1], ","), env, depth)
            return None
        return self._chain(tokens, env, depth)

    def _call(self, name: str, args: list[list[str]], env: dict, depth: int) -> None:
        if depth >= MAX_DEPTH:
            raise ReadError(f"{self.release}: helper calls nested more than {MAX_DEPTH} deep at {name}")
        values = [self._expr(a, env, depth) for a in args]
        if not any(isinstance(v, set) for v in values):
            return  # not a registration helper (it takes no match node)
        for params, body in self.functions[name]:
            if len(params) < len(values):
                continue
            # (fewer arguments than parameters: the declaration's defaults, unknown here)
            env_of_call = dict.fromkeys(params)
            env_of_call.update(zip(params, values))
            self._block(body, env_of_call, depth + 1)

    def _chain(self, tokens: list[str], env: dict, depth: int):
        i = 0
        value: object
        if len(tokens) >= 3 and tokens[1] in (".", "->") and tokens[2] == "pattern_root":
            value, i = {()}, 3
        elif re.match(r"[A-Za-z_]\w*$", tokens[0]):
            value, i = env.get(tokens[0], tokens[0] if len(tokens) == 1 else None), 1
            if i < len(tokens) and tokens[i] == "[":
                i = _need(_match(tokens, i), "[") + 1
        else:
            return None
        while i < len(tokens):
            if tokens[i] != "->" or i + 2 >= len(tokens) or tokens[i + 2] != "(":
                return value if i == len(tokens) else None
            method, close = tokens[i + 1], _need(_match(tokens, i + 2), "(")
            arg = tokens[i + 3:close]
            if method in _KINDS and isinstance(value, set):
                component = self._component(arg)
                if component is None:  # ->bind(builder): the paths so far are families
                    self.patterns.update(_spell(path) for path in value)
                    value = None
                else:
                    kind = _KINDS[method]
                    value = {path + ((component, kind),) for path in value}
            elif method not in _PASS_THROUGH:
                value = None
            i = close + 1
        return value

    def _component(self, arg: list[str]) -> str | None:
        if len(arg) != 1:
            return None
        tok = arg[0]
        if tok.startswith('"'):
            return tok[1:-1]
        if tok.startswith("TOK_"):
            if tok not in self.tokens_of:
                raise ReadError(f"{self.release}: {tok} is bound but never defined")
            return self.tokens_of[tok]
        return None


def _spell(path) -> str:
    return ".".join(name if kind is None else f"{name}({kind})" for name, kind in path)


def _match(tokens: list[str], i: int) -> int | None:
    """The index of the bracket closing tokens[i]."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    opening = tokens[i]
    closing = pairs[opening]
    level = 0
    for j in range(i, len(tokens)):
        if tokens[j] == opening:
            level += 1
        elif tokens[j] == closing:
            level -= 1
            if level == 0:
                return j
    return None


def _match_back(tokens: list[str], i: int) -> int | None:
    level = 0
    for j in range(i, -1, -1):
        if tokens[j] == ")":
            level += 1
        elif tokens[j] == "(":
            level -= 1
            if level == 0:
                return j
    return None


def _need(index: int | None, bracket: str) -> int:
    if index is None:
        raise ReadError(f"an unclosed {bracket!r} in the registration code")
    return index


def _split(tokens: list[str], sep: str) -> list[list[str]]:
    out, level, current = [], 0, []
    for tok in tokens:
        if tok in "({[" and tok:
            level += 1
        elif tok in ")}]" and tok:
            level -= 1
        if tok == sep and level == 0:
            out.append(current)
            current = []
        else:
            current.append(tok)
    if current:
        out.append(current)
    return out


def _top_level(tokens: list[str], wanted: str) -> int | None:
    level = 0
    for j, tok in enumerate(tokens):
        if tok in ("(", "{", "["):
            level += 1
        elif tok in (")", "}", "]"):
            level -= 1
        elif tok == wanted and level == 0:
            return j
    return None


def _last_ident(tokens: list[str]) -> str | None:
    names = [t for t in tokens if re.match(r"[A-Za-z_]\w*$", t)]
    return names[-1] if names else None


# ---------------------------------------------------------------- git


def _git(git_dir: Path, *args: str) -> str:
    done = subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise ReadError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def release_sources(git_dir: Path, commit: str) -> dict[str, str]:
    """The registration sources of one commit: tapsets.cxx and every tapset-*.cxx."""
    names = [n for n in _git(git_dir, "ls-tree", "--name-only", commit).split("\n")
             if re.fullmatch(r"tapsets?(-[\w-]+)?\.cxx", n)]
    return {n: _git(git_dir, "show", f"{commit}:{n}") for n in names}


def release_families(git_dir: Path, release: str, commit: str) -> set[str]:
    found = Reader(release_sources(git_dir, commit), release).read()
    missing = {"begin", "end", "kernel.function(string)"} - found  # every release since 1.0 has these
    if missing:
        raise ReadError(f"{release}: the registration code read gives no {', '.join(sorted(missing))}: "
                        "its shape changed; teach Reader the new one")
    return found


# ---------------------------------------------------------------- the data file


def build(git_dir: Path, releases: list[str], commits: dict[str, str], source: str) -> str:
    """The data file's text."""
    from stapkit.tapsets.probe_families import group_for_pattern
    from stapkit.tapsets.releases import ranges_text

    have: dict[str, list[int]] = {}
    counts = {}
    for i, release in enumerate(releases):
        found = release_families(git_dir, release, commits[release])
        counts[release] = len(found)
        for pattern in found:
            have.setdefault(pattern, []).append(i)
    families = {p: ranges_text(sorted(have[p]), releases) for p in sorted(have)}
    data = {
        "format": FORMAT,
        "releases": releases,
        "provenance": {"source": source, "commits": commits},
        "counts": counts,
        "families": families,
        "groups": {p: group_for_pattern(p) for p in sorted(have)},
    }
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def history_commits(history_path: Path) -> tuple[list[str], dict[str, str], str]:
    with history_path.open(encoding="utf-8") as stream:
        header = json.loads(stream.readline())
    provenance = header["provenance"]
    return list(header["releases"]), dict(provenance["commits"]), provenance["source"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--git-dir", type=Path, required=True, help="a bare clone of SystemTap's history")
    parser.add_argument("--history", type=Path, default=REPO / "tapset_db" / "tapsets-releases.jsonl",
                        help="the release history whose releases and commits are read")
    parser.add_argument("-o", "--output", type=Path, default=REPO / "tapset_db" / "probe-families-releases.json")
    parser.add_argument("--show", metavar="RELEASE", help="print one release's families and write nothing")
    args = parser.parse_args(argv)
    try:
        releases, commits, source = history_commits(args.history)
        if args.show:
            if args.show not in commits:
                print(f"error: {args.show} is not a release of {args.history}", file=sys.stderr)
                return 2
            print("\n".join(sorted(release_families(args.git_dir, args.show, commits[args.show]))))
            return 0
        text = build(args.git_dir, releases, commits, source)
    except (ReadError, OSError, subprocess.SubprocessError, KeyError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
