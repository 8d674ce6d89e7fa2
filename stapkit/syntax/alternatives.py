"""Checking the branches of `%( %? %: %)` conditionals that the target does not take.

stap parses only the branch its conditions select; a linter must find the
syntax errors of every branch, or a script that is fine on the author's
kernel breaks on the next one.  For each branch the target does not take,
stapkit looks for another target that takes it, on the values the
conditions themselves compare with (`kernel_v < "2.6.30"` is tried with
2.6.29; `arch == "i?86"` with i386), so that all the conditionals of the file
are decided consistently.  Where no target can take a branch (`%( 0 == 1 %?`),
the branch is taken by force.  The file is preprocessed again for that
target, and the declarations that changed are parsed again; errors inside the
newly reached branches are reported, with the condition that leads to them.
"""

from __future__ import annotations

import bisect
import collections
import itertools
from typing import Callable

import attrs

from ..diagnostics import Diagnostic, Severity, Span
from . import codes
from .conditions import VERSION_VARIABLES, ConditionError, evaluate
from .feeder import split_declarations
from .preprocessor import MAX_EXPANDED_TOKENS, Conditional, PreprocessResult, preprocess
from .target import ARCHES, PRIVILEGES, RUNTIMES, Target, kernel_release_fields
from .tokens import Token

# The bounds of the search, well above what real files need: the corpora's
# (testsuite, tapsets, examples) most are 33 runs (tapset/argv.stp), a work of
# 226,536 (tapset/linux/mips/syscall_num.stp, below) and 2,244 condition
# evaluations (argv.stp).  Past a bound the search ends with one finding
# (STP047) naming the branches left unchecked.  A file of 500 conditionals
# that each need their own target reaches the work bound after 33 runs.
MAX_ALTERNATIVE_RUNS = 400
# Candidate targets tried for one branch, and condition evaluations for the
# whole search (each candidate is checked against every conditional met).
MAX_COMBINATIONS = 4096
MAX_EVALUATIONS = 500_000
# The work of a search, in tokens: each token preprocessed (the file's and its
# macro expansions') counts 1, each conditional met CONDITIONAL_COST, each token
# of a declaration parsed again PARSE_COST (about what each costs in time).
MAX_WORK = 3_000_000
CONDITIONAL_COST = 50
PARSE_COST = 10

Branch = tuple[int, bool]  # (offset of the conditional's "%(", which branch)


@attrs.frozen
class AlternativeRun:
    """The file preprocessed once more, for a target that takes branches not taken before."""

    target: Target
    argc: int
    reachable: bool  # False: no target takes the branch; it was taken by force
    why_unreachable: str
    result: PreprocessResult
    newly: frozenset[Branch]  # the branches this run is the first to take


class AlternativeRuns:
    """Preprocess a file again and again until every branch of every conditional was taken once.

    Iterating gives one AlternativeRun per new target (at most `max_runs`);
    `known` then maps the offset of every conditional met (in any run) to it.
    """

    def __init__(self, tokens: list[Token], main: PreprocessResult, *, target: Target, library,
                 argc: int, path: str | None, max_runs: int = MAX_ALTERNATIVE_RUNS,
                 max_work: int = MAX_WORK, max_evaluations: int = MAX_EVALUATIONS):
        self.tokens = tokens
        self.target = target
        self.library = library
        self.argc = argc
        self.path = path
        self.max_runs = max_runs
        self.work_left = max_work
        self.evaluations = _Counter(max_evaluations)
        # Why the search stopped before every branch was taken ("" while it has not).
        self.stopped = ""
        self.max_work = max_work
        if any(d.code == codes.MACRO_EXPANSION_TOO_LARGE for d in main.diagnostics):
            self.stopped = "the file's macros expand too far (STP046)"
        self.known: dict[int, Conditional] = {c.open.start: c for c in main.conditionals}
        self.new_conditionals: list[Conditional] = []
        self.covered: set[Branch] = {(c.open.start, c.taken) for c in main.conditionals
                                     if c.taken is not None}
        # Branches still to take, in the order met (a set beside it: files have thousands).
        self.worklist: collections.deque[Branch] = collections.deque()
        self.queued: set[Branch] = set()
        for cond in main.conditionals:
            _queue_other_branches(cond, self.covered, self.worklist, self.queued)

    def __iter__(self):
        known = self.known
        covered = self.covered
        worklist = self.worklist
        runs = 0
        while worklist and not self.stopped:
            if runs >= self.max_runs:
                self.stopped = f"the search for targets stops after {self.max_runs} runs"
                break
            if self.work_left <= len(self.tokens):
                self.stopped = f"the search stops after a work of {self.max_work:,} tokens"
                break
            branch = worklist.popleft()
            self.queued.discard(branch)
            if branch in covered:
                continue
            path_branches = _path_to(branch, known)
            alt_target, alt_argc, reachable = solve(path_branches, known, self.target, self.argc,
                                                    self.evaluations)
            if self.evaluations.spent:
                worklist.appendleft(branch)
                self.queued.add(branch)
                self.stopped = f"the search stops after {self.evaluations.limit:,} condition evaluations"
                break
            why_unreachable = "" if reachable else _why_unreachable(path_branches, known)
            runs += 1
            budget = min(MAX_EXPANDED_TOKENS, self.work_left - len(self.tokens))
            alt = preprocess(self.tokens, target=alt_target, library_macros=self.library, argc=alt_argc,
                             forced=dict(path_branches), path=self.path, max_expanded_tokens=budget)
            self.work_left -= len(self.tokens) + alt.expanded + CONDITIONAL_COST * len(alt.conditionals)
            if alt.expanded > budget:
                # Over the budget: the run is not what stap would read; the search ends here.
                worklist.appendleft(branch)
                self.queued.add(branch)
                self.stopped = (f"the search stops after a work of {self.max_work:,} tokens" if budget < MAX_EXPANDED_TOKENS
                                else "the file's macros expand too far for a target that takes them (STP046)")
                break
            newly: set[Branch] = set()
            for cond in alt.conditionals:
                key = cond.open.start
                if key not in known:
                    known[key] = cond
                    self.new_conditionals.append(cond)
                if cond.taken is not None and (key, cond.taken) not in covered:
                    newly.add((key, cond.taken))
            covered |= newly
            for cond in alt.conditionals:
                _queue_other_branches(cond, covered, worklist, self.queued)
            if newly:
                yield AlternativeRun(alt_target, alt_argc, reachable, why_unreachable, alt, frozenset(newly))

    def spend(self, work: int) -> None:
        """Count work done for a run outside the search (parsing its declarations)."""
        self.work_left -= work

    @property
    def exhausted(self) -> bool:
        """Was every branch taken (rather than a limit of the search reached)?"""
        return all(branch in self.covered for branch in self.worklist)

    def unchecked(self) -> list[Branch]:
        """The branches no run took (after the iteration), in the order of the file."""
        return sorted({branch for branch in self.worklist if branch not in self.covered})

    def not_checked_finding(self) -> Diagnostic | None:
        """After the iteration: the finding that some branches were not checked (None if all were)."""
        left = self.unchecked()
        if not left:
            return None
        first = self.known.get(left[0][0])
        span = first.open if first is not None else Span(0, 0)
        where = "the '%:' branch" if left[0][1] is False else "the '%?' branch"
        condition = first.then_branch.condition_text if first is not None else "?"
        count = f"{len(left)} branches" if len(left) > 1 else "1 branch"
        return Diagnostic(
            codes.BRANCHES_NOT_CHECKED,
            f"{count} of %( %) conditionals that the target does not take not checked: "
            f"{self.stopped or 'the search stopped'}",
            span, Severity.INFO,
            hints=(f"the first is {where} of '%( {condition} %?'",
                   "syntax errors there are found only by a run for a target that takes them"))


class _Counter:
    """A budget of steps shared by every call that spends from it."""

    __slots__ = ("left", "limit", "spent")

    def __init__(self, limit: int):
        self.left = limit
        self.limit = limit
        self.spent = False  # a step was refused


def check_untaken_branches(
    tokens: list[Token],
    main: PreprocessResult,
    *,
    target: Target,
    library,
    argc: int,
    path: str | None,
    parse_declaration: Callable[[Target], Callable],
    reported: list[Diagnostic],
) -> tuple[list[Diagnostic], list[Conditional]]:
    """Diagnostics found only in untaken branches, and the conditionals seen only there.

    `parse_declaration(target)` gives the function that parses a declaration
    for a target (its language version and guru mode may differ from the
    main target's).
    """
    runs = AlternativeRuns(tokens, main, target=target, library=library, argc=argc, path=path)
    seen_keys = {(d.code, d.span, d.message) for d in reported}
    parsed_chunks: set[tuple[int, ...]] = set()
    found: list[Diagnostic] = []
    for run in runs:
        alt, newly, known = run.result, run.newly, runs.known
        regions = _Regions.of(alt.conditionals)
        # The preprocessor's own findings count where a newly reached branch holds them.
        candidates = list(zip(alt.diagnostics, regions.innermost_all([d.span.start for d in alt.diagnostics])))
        # Only what is found in a newly reached branch is reported (below), and
        # a problem is put down to a branch of its own declaration: so only the
        # declarations that overlap a newly reached branch need parsing again.
        # What their parse finds is new (it was not reported for the target),
        # even where the parser notices it just after the branch: it is put
        # down to the last branch reached.
        parse = parse_declaration(run.target)
        for chunk in declarations_reaching(alt, newly):
            key = tuple(t[2] for t in chunk)
            if key in parsed_chunks:
                continue
            parsed_chunks.add(key)
            runs.spend(PARSE_COST * len(chunk))
            _, diagnostics = parse(chunk)
            holding = regions.innermost_all([diag.span.start for diag in diagnostics])
            for diag, inside in zip(diagnostics, holding):
                candidates.append((diag, _branch_for(diag.span.start, inside, regions, newly, chunk[0].start)))
        for diag, branch_of in candidates:
            if branch_of is None or branch_of not in newly:
                continue
            if not run.reachable and diag.code == codes.ARGUMENT_OUT_OF_RANGE:
                continue  # an argument missing where no target goes: nothing to say
            key = (diag.code, diag.span, diag.message)
            if key in seen_keys:
                continue
            seen_keys.add(key)
            found.append(_annotate(diag, branch_of, known, run.target, target, run.why_unreachable))
    not_checked = runs.not_checked_finding()
    if not_checked is not None:
        found.append(not_checked)
    return found, runs.new_conditionals


def declarations_reaching(alt: PreprocessResult, newly) -> list[list[Token]]:
    """The declarations (token chunks) of a run that overlap a branch in `newly`."""
    dirty = sorted((c.open.start, c.end) for c in alt.conditionals if (c.open.start, c.taken) in newly)
    chunks = []
    for chunk in split_declarations(alt.tokens):
        first, last = chunk[0].start, chunk[-1].end
        if any(start < last and first < end for start, end in dirty):
            chunks.append(chunk)
    return chunks


def _queue_other_branches(cond: Conditional, covered: set[Branch], worklist, queued: set[Branch]) -> None:
    start = cond.open.start
    choices = (True, False) if cond.taken is None else (not cond.taken,)
    for which in choices:
        if which is False and cond.else_branch is None:
            continue  # an absent %: branch has nothing to check
        if (start, which) not in covered and (start, which) not in queued:
            worklist.append((start, which))
            queued.add((start, which))


def _path_to(branch: Branch, known: dict[int, Conditional]) -> list[Branch]:
    """The branch and the branches of every enclosing conditional that lead to it.

    A conditional can be its own parent: one written in a macro argument that
    the macro's body uses twice is met inside itself.  Each is taken once.
    """
    path = [branch]
    seen = {branch[0]}
    cond = known.get(branch[0])
    while cond is not None and cond.parent is not None and cond.parent[0] not in seen:
        path.append(cond.parent)
        seen.add(cond.parent[0])
        cond = known.get(cond.parent[0])
    return path


class _Regions:
    """The taken branches of one run's conditionals, as text regions, for finding which
    branch holds an offset.  Branches nest (a conditional lies inside one branch of another),
    so the offsets of a run's findings are answered together in one sweep with a stack of the
    open regions, not by a scan of every region per finding (a file with thousands of
    conditionals and thousands of findings was quadratic)."""

    @classmethod
    def of(cls, conditionals: list[Conditional]) -> "_Regions":
        found = []
        for cond in conditionals:
            if cond.taken is None:
                continue
            branch = cond.branch(cond.taken)
            if branch is not None:
                found.append((branch.span.start, branch.span.end, (cond.open.start, cond.taken)))
        return cls(found)

    def __init__(self, found: list[tuple[int, int, Branch]]):
        found = list(found)
        found.sort(key=lambda region: (region[0], -region[1]))  # outer before inner at one start
        self.items = found
        self.by_end = sorted(found, key=lambda region: (region[1], region[2]))
        self.ends = [end for _, end, _ in self.by_end]

    def innermost_all(self, offsets: list[int]) -> list[Branch | None]:
        """innermost(offset) for each offset, in one sweep over the regions (offsets sorted:
        a region closed before one offset stays closed for the later ones)."""
        answers: list[Branch | None] = [None] * len(offsets)
        stack: list[tuple[int, int, Branch]] = []
        i = 0
        for k in sorted(range(len(offsets)), key=offsets.__getitem__):
            offset = offsets[k]
            while i < len(self.items) and self.items[i][0] <= offset:
                while stack and stack[-1][1] <= self.items[i][0]:
                    stack.pop()
                stack.append(self.items[i])
                i += 1
            while stack and stack[-1][1] <= offset:
                stack.pop()
            answers[k] = stack[-1][2] if stack else None
        return answers

    def last_ending_before(self, offset: int, chunk_start: int, newly: set[Branch]) -> Branch | None:
        """The newly reached branch of the declaration starting at `chunk_start` that ends last
        at or before `offset`."""
        i = bisect.bisect_right(self.ends, offset) - 1
        while i >= 0 and self.by_end[i][1] > chunk_start:
            start, _, branch = self.by_end[i]
            if branch in newly and chunk_start <= start:
                return branch
            i -= 1
        return None


def _branch_for(offset: int, inside: Branch | None, regions: _Regions, newly: set[Branch],
                chunk_start: int) -> Branch | None:
    """The branch a problem found at `offset` of a re-parsed declaration is put down to.

    The innermost newly reached branch holding it; else the last newly reached
    branch of the declaration that ends before it (the parser often notices a
    missing `)` or `}` only at the first token after the branch).  `inside`: the innermost
    branch holding the offset (regions.innermost_all).
    """
    if inside is not None and inside in newly:
        return inside
    before = regions.last_ending_before(offset, chunk_start, newly)
    return before if before is not None else inside


def _why_unreachable(path: list[Branch], known: dict[int, Conditional]) -> str:
    if any(known.get(offset) is None or known[offset].condition is None or known[offset].taken is None
           for offset, _ in path):
        return "its condition could not be evaluated"
    return "no target takes this branch (its conditions cannot all hold)"


def _annotate(diag: Diagnostic, branch: Branch, known, alt_target: Target, target: Target,
              why_unreachable: str) -> Diagnostic:
    """Say which branch the problem is in, and lower its severity.

    The script is valid for the target, so a problem in a branch another
    target takes is a warning; in a branch no target takes (`%( 0 == 1 %?`,
    code switched off on purpose) it is only information.
    """
    cond = known.get(branch[0])
    where = "the '%:' branch" if branch[1] is False else "the '%?' branch"
    condition = cond.then_branch.condition_text if cond is not None else "?"
    hints = [f"in {where} of '%( {condition} %?', which the target does not take"]
    if not why_unreachable:
        differences = _describe_difference(alt_target, target)
        if differences:
            hints.append(f"checked as for {differences}")
        severity = Severity.WARNING if diag.severity is Severity.ERROR else diag.severity
    else:
        hints.append(f"{why_unreachable}; checked anyway")
        severity = Severity.INFO
    return attrs.evolve(diag, severity=severity, hints=tuple(hints) + diag.hints)


def _describe_difference(alt: Target, base: Target) -> str:
    parts = []
    for name in ("kernel_v", "kernel_vr", "arch", "runtime", "systemtap_v", "privilege"):
        if getattr(alt, name) != getattr(base, name):
            parts.append(f"{name} = {getattr(alt, name)!r}")
    if alt.guru_mode != base.guru_mode:
        parts.append(f"guru_mode = {int(alt.guru_mode)}")
    for key, value in alt.kernel_config.items():
        if base.kernel_config.get(key, "") != value:
            parts.append(f"{key} = {value!r}")
    for key in base.kernel_config:
        if key not in alt.kernel_config:
            parts.append(f"{key} unset")
    return ", ".join(parts)


# ---------------------------------------------------------------- finding a target


def solve(path: list[Branch], known: dict[int, Conditional], target: Target,
          argc: int, evaluations: _Counter | None = None) -> tuple[Target, int, bool]:
    """A target (and argument count) under which every branch of `path` is taken.

    The third value says whether one was found; if not, the given target is
    returned (the caller forces the branches then).  Candidates for each
    variable are the values the conditions compare it with, and their neighbours.
    Each candidate costs one evaluation per conditional from `evaluations`;
    when that is spent, no target is found.
    """
    conditions = [(known[offset].condition, which) for offset, which in path
                  if offset in known and known[offset].condition is not None]
    if len(conditions) < len(path):
        return target, argc, False  # a condition that could not even be read
    candidates = _candidates(conditions, target, argc)
    names = list(candidates)
    # The other conditions of the file must still make sense for the new
    # target (a CONFIG_ option compared with numbers cannot become "y").
    others = [c.condition for c in known.values() if c.taken is not None and c.condition is not None]
    if evaluations is None:
        evaluations = _Counter(MAX_EVALUATIONS)
    cost = len(conditions) + len(others)
    combos = 0
    for values in itertools.product(*(candidates[name] for name in names)):
        combos += 1
        if combos > MAX_COMBINATIONS:
            break
        if evaluations.left < cost:
            evaluations.spent = True
            break
        evaluations.left -= cost
        assignment = dict(zip(names, values))
        alt_target, alt_argc = _apply(assignment, target, argc)
        try:
            if not all(evaluate(cond, alt_target, alt_argc) == which for cond, which in conditions):
                continue
            for cond in others:
                evaluate(cond, alt_target, alt_argc)
        except ConditionError:
            continue
        return alt_target, alt_argc, True
    return target, argc, False


def _candidates(conditions, target: Target, argc: int) -> dict[str, list]:
    values: dict[str, list] = {}

    def add(name, *options):
        bucket = values.setdefault(name, [])
        for option in options:
            if option not in bucket:
                bucket.append(option)

    for condition, _ in conditions:
        for group in condition:
            for term in group:
                left, right = term.left, term.right
                for operand, other in ((left, right), (right, left)):
                    if operand.kind == "ARG_NUM" and operand.text == "$#":
                        add("argc", argc)
                        if other.kind == "NUMBER" and other.text.isdigit():
                            n = int(other.text)
                            add("argc", n, n + 1, max(n - 1, 0))
                    if operand.kind != "IDENT":
                        continue
                    name = operand.text
                    constant = _constant(other)
                    if name in ("kernel_v", "kernel_vr"):
                        # One variable: kernel_v is the part of kernel_vr before '-'.
                        add("kernel", target.kernel_vr)
                        if isinstance(constant, str):
                            suffix = "" if name == "kernel_vr" else _release_suffix(target)
                            add("kernel", *(v + suffix for v in _version_neighbours(constant)))
                    elif name in VERSION_VARIABLES:
                        add(name, getattr(target, name))
                        if isinstance(constant, str):
                            add(name, *_version_neighbours(constant))
                    elif name == "arch":
                        add(name, target.arch)
                        if isinstance(constant, str):
                            add(name, _instantiate(constant))
                        add(name, *ARCHES)
                    elif name == "runtime":
                        add(name, target.runtime, *RUNTIMES)
                    elif name == "systemtap_privilege":
                        add(name, target.privilege, *PRIVILEGES)
                    elif name == "guru_mode":
                        add(name, target.guru_mode, not target.guru_mode)
                    elif name.startswith("CONFIG_"):
                        add(name, target.config(name))
                        if isinstance(constant, str):
                            add(name, _instantiate(constant), "", "y", "m")
                        elif isinstance(constant, int):
                            add(name, str(constant), str(constant + 1), str(constant - 1))
                        elif other.kind == "IDENT" and other.text.startswith("CONFIG_"):
                            # CONFIG_A >= CONFIG_B: try values around the other one's.
                            value = target.config(other.text)
                            if value.lstrip("-").isdigit():
                                add(name, str(int(value) - 1), str(int(value) + 1))
    return values


def _release_suffix(target: Target) -> str:
    release = target.kernel_vr
    return release[len(target.kernel_v):] if release.startswith(target.kernel_v) else ""


def _constant(token: Token):
    from .literals import string_value

    if token.kind == "STRING":
        return string_value(token.text)
    if token.kind == "NUMBER" and token.text.isdigit():
        return int(token.text)
    return None


def _version_neighbours(version: str) -> list[str]:
    """A version, one just above it and one just below it (for strverscmp)."""
    if any(c in version for c in "*?["):
        return [_instantiate(version)]
    out = [version, version + ".1"]
    parts = version.split(".")
    # Just below: 2.6.30 -> 2.6.29, 5.0 -> 4.99, 3.0.0 -> 2.99.99.
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].isdigit() and int(parts[i]) > 0:
            below = parts[:i] + [str(int(parts[i]) - 1)] + ["99"] * (len(parts) - i - 1)
            out.append(".".join(below))
            break
    out.append("0")
    return out


def _instantiate(pattern: str) -> str:
    """A value matched by a glob: `i?86` -> `i386`, `2.6.*` -> `2.6.0`."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append("0")
        elif ch == "?":
            out.append("3")
        elif ch == "[":
            close = pattern.find("]", i + 1)
            if close > i + 1:
                choices = pattern[i + 1 : close].lstrip("!^")
                out.append(choices[0] if choices else "0")
                i = close
            else:
                out.append("[")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _apply(assignment: dict, target: Target, argc: int) -> tuple[Target, int]:
    changes = {}
    config = None
    for name, value in assignment.items():
        if name == "argc":
            argc = value
        elif name == "kernel":
            changes.update(kernel_release_fields(value))
        elif name == "systemtap_privilege":
            changes["privilege"] = value
        elif name.startswith("CONFIG_"):
            if config is None:
                config = dict(target.kernel_config)
            if value == "":
                config.pop(name, None)
            else:
                config[name] = value
        else:
            changes[name] = value
    if config is not None:
        changes["kernel_config"] = config
    return (target.evolve(**changes) if changes else target), argc
