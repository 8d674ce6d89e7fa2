r"""## What it finds

A global array used as a table of per-process or per-thread state that is
never cleaned up:

* probes that fire on system events (a syscall, a kernel or process
  function, a tracepoint, `timer.profile`, ...) write it with a key that
  takes new values as the system runs: `pid()`, `tid()` (and the other
  process ids), or a clock such as `gettimeofday_us()`;
* such probes also read it by key (the table is looked up, not only
  reported at the end);
* nothing ever deletes from it (`delete a[k]` or `delete a`), and it has no
  size of its own (`global a[10000]`) and does not wrap (`global a%`).

A script that mentions `MAXMAPENTRIES` (in a comment, or on its `#!` line
as `-DMAXMAPENTRIES=...`) is taken as aware of the limit.

## Why it matters

Every stap array has a fixed number of slots, MAXMAPENTRIES (2048 unless
set with `-DMAXMAPENTRIES=N`). A table keyed by thread id gets a new entry
for every thread that ever passes the probe; entries of threads that ended
stay. When the slots run out, the next write fails with "Array overflow,
check MAXMAPENTRIES" and the script stops. On a quiet test machine that
takes a long time; on a busy server it happens much sooner.

## Example

```systemtap
global start

probe syscall.read {
  start[tid()] = gettimeofday_us()
}

probe syscall.read.return {
  if (tid() in start)
    printf("%d us\n", gettimeofday_us() - start[tid()])
}
```

## Fix

Delete the entry once it has been used:

```systemtap
global start

probe syscall.read {
  start[tid()] = gettimeofday_us()
}

probe syscall.read.return {
  if (tid() in start) {
    printf("%d us\n", gettimeofday_us() - start[tid()])
    delete start[tid()]
  }
}
```

## Notes

An array that is only reported (read by `foreach` or in `end` and timer
probes) is not reported: collecting per-process data until the end is
what such a script is for. Give it a size if the runs are long. Writes and
reads in a script function count where an event probe calls the function
(directly or through other functions); probe aliases the script defines are
not followed.
"""

from __future__ import annotations

from ...diagnostics import Related, Severity
from ...syntax import ast
from ...semantic.bindings import DELETE
from ..flow import unparen
from ..rule import LintContext, Rule

RULE = Rule("STP512", "array-grows-without-bound", Severity.WARNING,
            "a table keyed by pid()/tid() (or a clock) in event probes that is never deleted from")


def check(ctx: LintContext) -> None:
    if ctx.tapset or "MAXMAPENTRIES" in ctx.text:
        return
    flow = ctx.flow
    # The script's unbounded arrays that nothing deletes from.
    candidates = {name: symbol.decl for name, symbol in ctx.bindings.globals.items()
                  if symbol.decl.size is None and not symbol.decl.wrap
                  and not any(use.how == DELETE for use in symbol.writes)}
    if not candidates:
        return
    hot = _hot_bodies(ctx)
    looked_up = _read_by_key(flow, hot)
    reported: set[str] = set()
    for node, body in flow.nodes(ast.Assignment, ast.Crement):
        if id(body.block) not in hot:
            continue
        target = unparen(node.target if type(node) is ast.Assignment else node.operand)
        if type(target) is not ast.ArrayIndex:
            continue
        array = unparen(target.array)
        if type(array) is not ast.Variable or array.name not in candidates or array.name in reported \
                or array.name not in looked_up:
            continue
        if not any(_ever_new(index) for index in target.indexes):
            continue
        reported.add(array.name)
        var = candidates[array.name]
        where = hot[id(body.block)]
        ctx.report(RULE, var.name_span,
                   f"global array '{array.name}' gets a new key for each new process, thread or time in "
                   f"{where}, and nothing deletes from it: once MAXMAPENTRIES (2048) keys are in it, "
                   f"the next write stops the script",
                   hints=(f"delete {array.name}[...] when the entry has been used, or declare it "
                          f"'{array.name}%' (wrapping) or '{array.name}[N]' (sized)",),
                   related=(Related("written here", None, node.span),))


# Functions whose values keep changing as the system runs: every new process or
# thread has a new id, and a clock never repeats.  A key made from them takes
# values without end, while keys such as execname() or a device name repeat.
EVER_NEW_KEYS = frozenset({
    "pid", "tid", "sid", "pgrp", "task_pid", "task_tid", "gettimeofday_s", "gettimeofday_ms",
    "gettimeofday_us", "gettimeofday_ns", "local_clock_s", "local_clock_ms", "local_clock_us",
    "local_clock_ns", "cpu_clock_s", "cpu_clock_ms", "cpu_clock_us", "cpu_clock_ns", "get_cycles",
    "jiffies", "ktime_get_ns",
})


def _ever_new(index) -> bool:
    return any(type(node) is ast.Call and node.name in EVER_NEW_KEYS for node in ast.walk(index))


def _read_by_key(flow, hot: dict[int, str]) -> set[str]:
    """The arrays that event probes (or functions they call) read by key: `a[k]` as a value,
    or `k in a`.  `a[k]++` and `a[k] += v` only update the entry, and do not count."""
    found: set[str] = set()
    for node, body in flow.nodes(ast.ArrayIndex, ast.InExpr):
        if id(body.block) not in hot:
            continue
        array = unparen(node.array)
        if type(array) is not ast.Variable or array.name in found:
            continue
        if type(node) is ast.ArrayIndex and _is_updated(flow, node):
            continue
        found.add(array.name)
    return found


def _is_updated(flow, index: ast.ArrayIndex) -> bool:
    parent = flow.parent.get(id(index))
    while type(parent) is ast.Paren:
        index, parent = parent, flow.parent.get(id(parent))
    if type(parent) is ast.Assignment:
        return parent.target is index
    return type(parent) is ast.Crement


def _hot_bodies(ctx: LintContext) -> dict[int, str]:
    """id(block) -> a description of the event probe it runs for: the bodies of event probes
    and of the script functions they call, directly or not (the bindings' call graph)."""
    bindings, flow = ctx.bindings, ctx.flow
    hot: dict[int, str] = {}  # id(declaration) -> where
    pending = []
    for body in bindings.bodies:
        if body.kind == "probe" and flow.is_event_probe(body.node):
            point = body.node.points[0].dotted() if body.node.points else "a probe"
            pending.append((body, f"probe {point}"))
    while pending:
        body, where = pending.pop()
        if id(body.node) in hot:
            continue
        hot[id(body.node)] = where
        for call in reversed(body.calls):
            function = bindings.functions.get(call.name)
            for decl in function.decls if function is not None else ():
                pending.append((bindings.body_of(decl), where))
    return {id(body.block): hot[id(body.decl)] for body in flow.bodies if id(body.decl) in hot}
