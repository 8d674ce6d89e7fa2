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
    # The call graph between overloads, from the bindings; a call that fits no overload (an
    # arity error the checker reports) is no edge.
    called: dict[tuple[str, int], set[tuple[str, int]]] = {key: set() for key in functions}
    for body in bindings.bodies:
        if body.kind == "function":
            called[(body.node.name, len(body.node.params))] |= {
                (call.name, call.arity) for call in body.calls if (call.name, call.arity) in functions}
    calls = {key: sorted(found) for key, found in called.items()}  # sorted once: the same chain every run
    # A function is recursive when it is in a cycle of calls: in a strongly connected component
    # of more than one function, or calling itself.  The components come first (linear); then
    # each function's chain is looked for in its own component only.  (A search from every
    # function through the whole call graph was n²: 40 s for a chain of 3,000 functions.)
    through: dict[tuple[str, int], str] = {}
    for component in _components(calls):
        if len(component) == 1 and component[0] not in calls[component[0]]:
            continue
        members = set(component)
        if len(component) <= _SHORTEST_WITHIN:
            for key in component:
                through[key] = _describe(_cycle(key, calls, members))
        else:
            through.update(_long_cycles(component, calls, members))
    for key, decls in functions.items():
        if key not in through:
            continue
        for decl in decls:
            ctx.report(RULE, decl.name_span,
                       f"function '{key[0]}' calls {through[key]}: past MAXNESTING levels of calls the "
                       f"script stops with 'MAXNESTING exceeded'")


# A component of up to this many functions: the shortest chain of each (a search each, so at most
# this many times the component's size).  A larger one: a chain through one function of it.
_SHORTEST_WITHIN = 64
# A chain in a larger one is named by this many functions at its ends, and its length.
_SHOWN = 6


def _describe(path: list) -> str:
    if len(path) == 1:
        return "itself"
    others = [f"{p[0]}()" for p in path[1:]]
    if len(others) > 2 * _SHOWN:
        half = _SHOWN // 2
        return f"itself through {' -> '.join(others[:half])} -> ... -> {' -> '.join(others[-half:])} " \
               f"({len(others)} functions)"
    return "itself through " + " -> ".join(others)


def _components(graph: dict) -> list[list]:
    """The strongly connected components of the graph (Tarjan's algorithm, without recursion:
    a chain of calls can be thousands long)."""
    index: dict = {}
    low: dict = {}
    stack: list = []
    on_stack: set = set()
    components = []
    for root in graph:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = graph[node]
            descended = False
            while i < len(successors):
                callee = successors[i]
                i += 1
                if callee not in index:
                    work.append((node, i))
                    work.append((callee, 0))
                    descended = True
                    break
                if callee in on_stack:
                    low[node] = min(low[node], index[callee])
            if descended:
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                caller = work[-1][0]
                low[caller] = min(low[caller], low[node])
    return components


def _cycle(start, calls: dict, members: set) -> list:
    """The shortest chain of calls from `start` back to itself, as [start, f1, f2, ...]
    (start is in a cycle, within `members`)."""
    previous: dict = {}
    frontier = [start]
    seen = {start}
    while frontier:
        following = []
        for name in frontier:
            for callee in calls[name]:
                if callee == start:
                    chain = [name]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return list(reversed(chain))
                if callee in members and callee not in seen:
                    seen.add(callee)
                    previous[callee] = name
                    following.append(callee)
        frontier = following
    raise AssertionError(f"{start} is in no cycle")


def _long_cycles(component: list, calls: dict, members: set) -> dict:
    """For each function of a large component, a chain back to itself through one function of
    it (the hub): key -> ... -> hub -> ... -> key, named by its ends and its length."""
    hub = min(component)
    called_by: dict = {key: [] for key in component}
    for key in component:
        for callee in calls[key]:
            if callee in members:
                called_by[callee].append(key)
    to_hub, calls_to_hub = _tree(hub, called_by)  # key -> the function it calls on its way to the hub
    from_hub, calls_from_hub = _tree(hub, {key: [c for c in calls[key] if c in members] for key in component})
    described = {hub: _describe(_cycle(hub, calls, members))}
    for key in component:
        if key == hub:
            continue
        head = []  # the chain's start: from key towards the hub
        step = key
        while len(head) < _SHOWN // 2 and step != hub:
            step = to_hub[step]
            head.append(step)
        tail = []  # its end: the functions that come just before key again
        step = from_hub[key]
        while len(tail) < _SHOWN // 2 and step != hub:
            tail.append(step)
            step = from_hub[step]
        tail.reverse()
        others = calls_to_hub[key] + calls_from_hub[key] - 1
        names = " -> ".join(f"{p[0]}()" for p in head)
        if len(head) + len(tail) < others:
            names += " -> ..."
        if tail:
            names += " -> " + " -> ".join(f"{p[0]}()" for p in tail)
        described[key] = f"itself through {names} ({others} functions)"
    return described


def _tree(root, edges: dict) -> tuple[dict, dict]:
    """A breadth-first tree from root along `edges`: each node -> the node it was reached from,
    and each node -> its distance from root."""
    parent: dict = {root: None}
    distance: dict = {root: 0}
    frontier = [root]
    while frontier:
        following = []
        for node in frontier:
            for other in edges[node]:
                if other not in parent:
                    parent[other] = node
                    distance[other] = distance[node] + 1
                    following.append(other)
        frontier = following
    return parent, distance
