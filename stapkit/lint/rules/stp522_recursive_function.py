r"""## What it finds

A script function that calls itself, directly or through other functions
of the script. Overloads are told apart by their number of parameters:
`f(x)` calling `f(x, 0)` is no recursion.

## Why it matters

stap gives every probe a fixed stack of function frames, MAXNESTING: the
deepest chain of calls the script can make, plus 10 when the script has a
recursive function. Recursion that goes deeper than that stops the probe
with the run-time error "MAXNESTING exceeded", which ends the script. A
recursion over data (a linked list, a tree, a number of bytes) has no such
bound, so it works in testing and fails on the input that goes 11 levels
deep.

## Example

```systemtap
function depth:long (n:long) {
  if (n <= 0)
    return 0
  return 1 + depth(n - 1)
}

probe begin {
  println(depth(50))
  exit()
}
```

## Fix

Write it as a loop:

```systemtap
function depth:long (n:long) {
  d = 0
  while (n > 0) {
    d++
    n--
  }
  return d
}

probe begin {
  println(depth(50))
  exit()
}
```

## Notes

Reported as information: recursion whose depth is known to stay within a
few levels is fine. Set a larger limit with `-DMAXNESTING=N` if a deeper one
is needed.
"""

from __future__ import annotations

from ...diagnostics import Severity
from ...syntax import ast
from ..rule import LintContext, Rule

RULE = Rule("STP522", "recursive-function", Severity.INFO,
            "a function that calls itself, directly or through others (depth limited by MAXNESTING)")


def check(ctx: LintContext) -> None:
    # Functions are told apart by name and number of parameters: `f(x)` calling `f(x, 0)`
    # calls another overload, not itself.
    bindings = ctx.bindings
    functions: dict[tuple[str, int], list[ast.FunctionDecl]] = {}
    for function in bindings.functions.values():
        for decl in function.decls:
            functions.setdefault((decl.name, len(decl.params)), []).append(decl)
    # The call graph between overloads; a call that fits no overload (an arity error the
    # checker reports) is no edge.
    calls: dict[tuple[str, int], set[tuple[str, int]]] = {key: set() for key in functions}
    for body in bindings.bodies:
        if body.kind == "function":
            calls[(body.node.name, len(body.node.params))] |= {
                (call.name, call.arity) for call in body.calls if (call.name, call.arity) in functions}
    for key, decls in functions.items():
        path = _cycle(key, calls)
        if path is None:
            continue
        name = key[0]
        through = "itself" if len(path) == 1 else "itself through " + " -> ".join(f"{p[0]}()" for p in path[1:])
        for decl in decls:
            ctx.report(RULE, decl.name_span,
                       f"function '{name}' calls {through}: past MAXNESTING levels of calls the "
                       f"script stops with 'MAXNESTING exceeded'")


def _cycle(start, calls: dict) -> list | None:
    """The shortest chain of calls from `start` back to itself, as [start, f1, f2, ...]."""
    previous: dict = {}
    frontier = [start]
    seen = {start}
    while frontier:
        following = []
        for name in frontier:
            for callee in sorted(calls.get(name, ())):
                if callee == start:
                    chain = [name]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return list(reversed(chain))
                if callee not in seen:
                    seen.add(callee)
                    previous[callee] = name
                    following.append(callee)
        frontier = following
    return None
