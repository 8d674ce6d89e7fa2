"""textDocument/completion and completionItem/resolve.

What is offered depends on where the cursor is (context.py):

* after `->` with a kernel description (docs/kernel.md), the members of the
  struct reached, and after `$` the probed kernel function's parameters;
* in a probe header, the next component of a probe point: what the built-in
  families allow after the components typed so far (`kernel.` -> `function(...)`,
  `statement(...)`, ...) and the names of the tapset's aliases (`socket.` ->
  `send`, `receive`, ...), and the file's own aliases;
* inside a component's string argument, the arguments the tapset library's
  own aliases give it (`kernel.function("` -> the kernel functions it probes);
* in code: locals and parameters, the variables the probe's aliases set,
  globals, the script's and the library's functions (with signatures),
  keywords; after `@` the @-operators and macros; after `$` the context variables;
* in a printf format string, the conversions;
* between declarations, the declaration keywords.

Completion answers on the server's event loop, while a check may be running
on the check thread: it reads the text, its tokens, the prebuilt tapset
index and the last finished analysis, never the parser or the checker.
Documentation is added when the client resolves an item.
"""

from __future__ import annotations

import itertools
import re

from lsprotocol import types

from ..diagnostics import Span
from ..syntax.tokens import AT_WORD_SINCE, AT_WORDS
from . import context as ctxmod
from . import describe
from .documents import PositionMap
from .library import LibraryIndex

KERNEL_NAMES_SHOWN = 200  # kernel functions offered at once (a kernel has 50,000+; the client asks again)
MAX_ITEMS = 1000  # more than this and the client is told the list is incomplete (it asks again as the user types)

_STATEMENT_KEYWORDS = ("if", "else", "for", "foreach", "in", "limit", "while", "break", "continue", "next",
                       "return", "delete", "try", "catch")
_GLOBAL_LINE = re.compile(r"^[ \t]*(?:private[ \t]+)?global[ \t]+([^\n;]*)", re.MULTILINE)
_FUNCTION_HEAD = re.compile(r"^[ \t]*(?:private[ \t]+)?function[ \t]+([A-Za-z_][A-Za-z0-9_]*)(?::(\w+))?[ \t]*"
                            r"\(([^)]*)\)", re.MULTILINE)
_SPEC = re.compile(r"%[-+ #0]?(?:\d+|\*)?(?:\.(?:\d+|\*)?)?l?\Z")
_SORT = {"local": "0", "alias": "1", "global": "2", "function": "3", "keyword": "4", "library-function": "5",
         "library-global": "6", "other": "7"}


class Completer:
    """One completion request."""

    def __init__(self, text: str, offset: int, index: LibraryIndex, db, view, analysis=None,
                 snippets: bool = False, encoding: str = "utf-16", positions: PositionMap | None = None,
                 edit_range_default: bool = False):
        self.text = text
        self.offset = offset
        self.index = index
        self.db = db
        self.view = view
        self.analysis = analysis  # the last finished check (maybe of an older text), or None
        self.snippets = snippets
        self.positions = positions or PositionMap(text, encoding)
        version = view.target.language_version
        self.version = version
        self.ctx = ctxmod.context_at(text, offset, version)
        self.items: list[types.CompletionItem] = []
        self.labels: set[str] = set()
        self.incomplete = False
        # The client takes one edit range for every item (LSP 3.17 itemDefaults): less to send.
        self.edit_range_default = edit_range_default
        self.ranges: dict[Span, types.Range] = {}

    def run(self) -> types.CompletionList:
        kind = self.ctx.kind
        if kind == ctxmod.CODE:
            self.code()
        elif kind == ctxmod.POINT:
            self.point()
        elif kind == ctxmod.POINT_ARGUMENT:
            self.point_argument()
        elif kind == ctxmod.MEMBER:
            self.kernel_members()
        elif kind == ctxmod.FORMAT:
            self.format()
        elif kind == ctxmod.TOP_LEVEL:
            self.top_level()
        defaults = None
        if self.edit_range_default:
            defaults = types.CompletionItemDefaults(edit_range=self.range_of(self.ctx.prefix_span))
        return types.CompletionList(is_incomplete=self.incomplete, items=self.items, item_defaults=defaults)

    def range_of(self, span: Span) -> types.Range:
        found = self.ranges.get(span)
        if found is None:
            found = self.ranges[span] = self.positions.range(span)
        return found

    # -- items ------------------------------------------------------------

    def wanted(self, label: str) -> bool:
        """Does the label fit what is typed?  (Its first letter, then the others in order, any case.)"""
        prefix = self.ctx.prefix
        if not prefix:
            return True
        lower = label.lower()
        if not lower.startswith(prefix[0].lower()):
            return False
        position = 1
        for ch in prefix[1:].lower():
            position = lower.find(ch, position) + 1
            if position == 0:
                return False
        return True

    def add_names(self, named, limit: int) -> None:
        """Functions from `named`, (name, detail) pairs already matching the prefix: at most
        `limit` of them, the list marked incomplete when more follow (the client asks again)."""
        for shown, (name, detail) in enumerate(named):
            if shown == limit:
                self.incomplete = True
                return
            self.add(name, types.CompletionItemKind.Function, "local", detail=detail, check=False)

    def add(self, label: str, kind: types.CompletionItemKind, sort: str, *, detail: str | None = None,
            snippet: str | None = None, data=None, documentation: str | None = None,
            label_detail: str | None = None, description: str | None = None, span: Span | None = None,
            check: bool = True) -> None:
        if label in self.labels or (check and not self.wanted(label)):
            return
        if len(self.items) >= MAX_ITEMS:
            self.incomplete = True
            return
        self.labels.add(label)
        new_text = snippet if snippet is not None and self.snippets else label
        text_format = types.InsertTextFormat.Snippet if snippet is not None and self.snippets else None
        if self.edit_range_default and span is None:
            edit, edit_text = None, new_text
        else:
            edit, edit_text = types.TextEdit(range=self.range_of(span or self.ctx.prefix_span), new_text=new_text), None
        self.items.append(types.CompletionItem(
            label=label, kind=kind, detail=detail, sort_text=_SORT.get(sort, "7") + label,
            text_edit=edit, text_edit_text=edit_text, insert_text_format=text_format, data=data,
            label_details=types.CompletionItemLabelDetails(detail=label_detail, description=description)
            if label_detail or description else None,
            documentation=types.MarkupContent(types.MarkupKind.Markdown, documentation) if documentation else None))

    # -- code ---------------------------------------------------------------

    def code(self) -> None:
        prefix = self.ctx.prefix
        if prefix.startswith("@"):
            self.at_words()
            return
        if prefix.startswith("$"):
            self.context_variables()
            return
        self.local_variables()
        self.alias_variables()
        # With nothing typed yet, the library's 900 names would bury the script's own: they come
        # with the first letter (the list says it is incomplete, so the client asks again).
        library = bool(prefix)
        if not library:
            self.incomplete = True
        self.globals(library)
        self.functions(library)
        for word in _STATEMENT_KEYWORDS:
            self.add(word, types.CompletionItemKind.Keyword, "keyword", detail="keyword",
                     documentation=describe.KEYWORDS.get(word))

    def at_words(self) -> None:
        for word in AT_WORDS:
            since = AT_WORD_SINCE.get(word)
            if since is not None and self.version < since:
                continue
            if word == "@define":
                continue
            signature, meaning = describe.AT_OPERATORS.get(word, (word, ""))
            self.add(word, types.CompletionItemKind.Operator, "keyword", detail=signature,
                     snippet=f"{word}(${{1}})$0", documentation=meaning)
        for name, macro in self.script_macros().items():
            params = ", ".join(f"${{{k + 1}:{p}}}" for k, p in enumerate(macro.params))
            self.add("@" + name, types.CompletionItemKind.Constant, "function", detail="macro of this file",
                     snippet=f"@{name}({params})" if macro.params else f"@{name}",
                     label_detail=f"({', '.join(macro.params)})" if macro.params else None)
        for name, macros in self.index.macros.items():
            macro = macros[0]
            params = ", ".join(f"${{{k + 1}:{p}}}" for k, p in enumerate(macro.params))
            self.add("@" + name, types.CompletionItemKind.Constant, "library-function",
                     detail=f"library macro ({macro.where})",
                     snippet=f"@{name}({params})" if macro.params else f"@{name}",
                     label_detail=f"({', '.join(macro.params)})" if macro.params else None)

    def script_macros(self) -> dict:
        analysis = self.analysis
        if analysis is None:
            return {}
        return {name: m for name, m in analysis.parse.macros.items() if not m.library}

    def kernel_members(self) -> bool:
        """After `$var->...->`, with a kernel description: the members of the struct reached
        (without one, members need debuginfo: nothing is offered)."""
        from .kernel_info import contexts_at, members_after

        before = self.text[:self.ctx.prefix_span.start]
        if not before.endswith("->"):
            return False
        kernel, contexts = contexts_at(self.analysis, self.offset)
        members = members_after(kernel, contexts, before) if contexts else None
        if members is None:
            return False
        for name, c_type in members:
            self.add(name, types.CompletionItemKind.Field, "local", detail=c_type)
        return True

    def kernel_parameters(self) -> None:
        """In a kernel.function or kernel.trace handler: the parameters, with their C types."""
        from .kernel_info import contexts_at

        kernel, contexts = contexts_at(self.analysis, self.offset)
        for context in contexts or ():
            for name, param in context.params.items():
                self.add("$" + name, types.CompletionItemKind.Variable, "local", detail=param.type,
                         description=f"{context.kind} {context.name}")
            if context.is_return and context.return_type_id:
                self.add("$return", types.CompletionItemKind.Variable, "local",
                         detail=(context.description or kernel).render(context.return_type_id),
                         description=f"returned by {context.name}")

    def context_variables(self) -> None:
        self.kernel_parameters()
        for name, meaning in describe.CONTEXT_VARIABLES.items():
            self.add(name, types.CompletionItemKind.Property, "local", detail="context variable",
                     documentation=meaning)
        for tok in self.ctx.tokens:
            if tok.kind == "TARGET" and tok.end != self.offset:
                self.add(tok.text, types.CompletionItemKind.Property, "local", detail="context variable")

    def local_variables(self) -> None:
        """The names the current body uses that are not functions: its locals (and parameters)."""
        ctx = self.ctx
        tokens = ctx.tokens
        params: set[str] = set()
        if ctx.declaration == "function" and ctx.body_start is not None:
            header = [t for t in tokens if t.start < ctx.body_start]
            opened = False
            for k, t in enumerate(header):
                if t.kind == "LPAR":
                    opened = True
                elif opened and t.kind == "IDENT" and (k == 0 or header[k - 1].kind != "COLON"):
                    params.add(t.text)
        for name in sorted(params):
            self.add(name, types.CompletionItemKind.Variable, "local", detail="parameter")
        known_globals = set(self.global_names())
        for k, t in enumerate(tokens):
            if t.kind != "IDENT" or (ctx.body_start is not None and t.start <= ctx.body_start):
                continue
            if t.end == self.offset:  # the word being typed
                continue
            following = tokens[k + 1] if k + 1 < len(tokens) else None
            previous = tokens[k - 1] if k else None
            if following is not None and following.kind == "LPAR":
                continue
            if previous is not None and previous.kind == "ARROW":
                continue
            if t.text in known_globals or t.text in self.index.globals:
                continue
            self.add(t.text, types.CompletionItemKind.Variable, "local", detail="local")

    def alias_variables(self) -> None:
        if self.ctx.declaration != "probe":
            return
        variables = probe_variables(self.ctx.header_points, self.db, self.view, self.index, self.analysis)
        for name, (value, setter) in sorted(variables.items()):
            if name.startswith("_"):
                continue
            self.add(name, types.CompletionItemKind.Field, "alias", detail=f"{name}:{value}",
                     description=f"set by {setter}")

    def global_names(self) -> list[str]:
        names = []
        for match in _GLOBAL_LINE.finditer(self.text):
            for part in match.group(1).split(","):
                word = re.match(r"\s*%?\s*([A-Za-z_][A-Za-z0-9_]*)", part)
                if word:
                    names.append(word.group(1))
        return names

    def globals(self, library: bool = True) -> None:
        for name in self.global_names():
            self.add(name, types.CompletionItemKind.Variable, "global", detail="global")
        if not library:
            return
        for name, g in self.index.globals.items():
            if name.startswith("_"):
                continue
            self.add(name, types.CompletionItemKind.Variable, "library-global",
                     detail=f"tapset global ({g.where})", data={"k": "global", "n": name})

    def functions(self, library: bool = True) -> None:
        for match in _FUNCTION_HEAD.finditer(self.text):
            name, returns, params = match.group(1), match.group(2), match.group(3)
            names = [p.split(":")[0].strip() for p in params.split(",") if p.strip()]
            snippet = f"{name}({', '.join(f'${{{k + 1}:{p}}}' for k, p in enumerate(names))})"
            self.add(name, types.CompletionItemKind.Function, "function",
                     detail=f"function {name}{':' + returns if returns else ''}({params.strip()})",
                     snippet=snippet, label_detail=f"({params.strip()})")
        if not library:
            return
        for name, (detail, snippet, params, returns) in self.index.function_parts.items():
            if self.wanted(name):
                self.add(name, types.CompletionItemKind.Function, "library-function", detail=detail,
                         snippet=snippet, label_detail=params, description=returns,
                         data={"k": "function", "n": name}, check=False)

    # -- probe points -----------------------------------------------------

    def point(self) -> None:
        from ..tapsets.probe_families import families, following

        ctx = self.ctx
        names = [name for name, _ in ctx.components]
        key = [(name, _argument_kind(arg)) for name, arg in ctx.components]
        release = getattr(self.db, "systemtap_version", None)  # the target's built-in families
        if all("*" not in name for name in names):  # the families' names have no wildcards
            try:
                nexts = following(key, release)
            except ValueError:
                nexts = ()
            # The families under each next component, in one pass over the families (not one per component).
            under: dict[tuple, list[str]] = {}
            depth = len(key)
            for family in families(release):
                if len(family.components) > depth:
                    family_key = family.key
                    if list(family_key[:depth]) == key:
                        under.setdefault(family_key[depth], []).append(family.pattern)
            for comp in nexts:
                patterns = under.get((comp.name, comp.arg), [])
                snippet = comp.name
                if comp.arg == "string":
                    snippet = f'{comp.name}("${{1}}")$0'
                elif comp.arg == "number":
                    snippet = f"{comp.name}(${{1}})$0"
                label = comp.name if comp.arg is None else f"{comp.name}({comp.arg})"
                self.add(label, types.CompletionItemKind.Event, "local", detail="built-in probe family",
                         snippet=snippet if comp.arg else None,
                         description=patterns[0] if len(patterns) == 1 else f"{len(patterns)} families",
                         data={"k": "family", "n": patterns[0]} if patterns else None)
        for child, node in sorted(self.index.point_children(names).items()):
            full = ".".join(names + [child])
            kind = "probe alias" if node.aliases else "probe aliases"
            self.add(child, types.CompletionItemKind.Event, "alias",
                     detail=f"{kind} {full}{'.*' if not node.aliases else ''}",
                     data={"k": "alias", "n": full} if node.aliases else None)
        for full in self.script_alias_names():
            parts = full.split(".")
            if len(parts) > len(names) and parts[:len(names)] == names:
                self.add(parts[len(names)], types.CompletionItemKind.Event, "global",
                         detail=f"probe alias of this file ({full})")

    def script_alias_names(self) -> list[str]:
        names = []
        for match in re.finditer(r"^[ \t]*probe[ \t]+([A-Za-z_][\w.]*)[ \t]*\+?=", self.text, re.MULTILINE):
            names.append(match.group(1))
        return names

    def point_argument(self) -> None:
        ctx = self.ctx
        key = tuple(name for name, _ in ctx.components) + (ctx.component,)
        self.kernel_names(key)
        from .userspace import complete

        complete(self, ctx.components, ctx.component)  # process(...): the program's markers and functions
        for value in self.index.point_arguments.get(key, ()):
            if ctx.prefix and not value.startswith(ctx.prefix):
                continue
            self.add(value, types.CompletionItemKind.Value, "local", detail="probed by the tapset library",
                     check=False)

    def kernel_names(self, key: tuple[str, ...]) -> None:
        """`kernel.function("tcp_se`, `kernel.trace("sched_`: the kernel's own names (with a kernel)."""
        unit = self.analysis.unit() if self.analysis is not None else None
        kernel = unit.kernel if unit is not None else None
        if kernel is None or key not in (("kernel", "function"), ("kprobe", "function"), ("kernel", "trace")):
            return
        import bisect

        prefix = self.ctx.prefix
        names = kernel.tracepoint_names() if key[-1] == "trace" else kernel.function_names()
        what = "tracepoint" if key[-1] == "trace" else "kernel function"
        start = bisect.bisect_left(names, prefix)
        matching = itertools.takewhile(lambda name: name.startswith(prefix), itertools.islice(names, start, None))
        self.add_names(((name, what) for name in matching), KERNEL_NAMES_SHOWN)

    # -- printf -------------------------------------------------------------------

    def format(self) -> None:
        before = self.ctx.format_before
        match = _SPEC.search(before)
        spec = match.group() if match else "%"
        start = self.offset - (len(spec) if match else 0)
        for conversion, meaning in describe.CONVERSIONS.items():
            label = spec + conversion
            if conversion == "%" and spec != "%":
                continue
            self.add(label, types.CompletionItemKind.Text, "local", detail=meaning, check=False,
                     span=Span(start, self.offset))

    # -- between declarations ---------------------------------------------------------

    def top_level(self) -> None:
        snippets = {
            "probe": "probe ${1:begin} {\n\t$0\n}",
            "function": "function ${1:name}(${2}) {\n\t$0\n}",
            "global": "global ${1:name}",
            "private": "private ",
            "@define": "@define ${1:name}(${2:param}) %( $0 %)",
        }
        for word, snippet in snippets.items():
            self.add(word, types.CompletionItemKind.Keyword, "keyword", detail="declaration",
                     snippet=snippet, documentation=describe.KEYWORDS.get(word) or
                     describe.AT_OPERATORS.get(word, ("", ""))[1])


def _argument_kind(arg: str | None) -> str | None:
    if arg is None:
        return None
    if arg.startswith('"') or arg.startswith("@"):
        return "string"
    return "number"


def probe_variables(points, db, view, index, analysis=None) -> dict[str, tuple[str, str]]:
    """The variables the aliases of a probe's points set: name -> (type, the alias that sets it).

    With several points, the variables every one of them has (as stap
    allows only those in the handler).
    """
    from ..tapsets.probe_patterns import match_names
    from ..tapsets.queries import visible_variables

    combined: dict[str, tuple[str, str]] | None = None
    for text in points:
        plain = re.sub(r"\([^)]*\)", "", text)
        names = [plain]
        if "*" in plain:
            names = [n for n in match_names(plain, db.names("alias"))
                     if any(view.exists(a) for a in db.aliases(n))][:500]
        found: dict[str, tuple[str, str]] | None = None
        for name in names:
            seen = visible_variables(lambda n: [a for a in db.aliases(n) if view.exists(a)], name, view.holds)
            variables = {v: (t, a.name) for v, (t, a) in seen.items()}
            variables.update(_script_alias_variables(analysis, name))
            found = variables if found is None else {k: v for k, v in found.items() if k in variables}
        found = found or {}
        combined = found if combined is None else {k: v for k, v in combined.items() if k in found}
    return combined or {}


def _script_alias_variables(analysis, name: str) -> dict[str, tuple[str, str]]:
    if analysis is None or analysis.script is None:
        return {}
    from ..syntax import ast

    out = {}
    for item in analysis.script.items:
        if isinstance(item, ast.AliasDecl) and any(
                ".".join(c.name for c in n.point.components if isinstance(c, ast.Component)) == name
                for n in item.names):
            for node in ast.walk(item.body):
                if type(node) is ast.Assignment and type(node.target) is ast.Variable:
                    out.setdefault(node.target.name, ("unknown", f"{name} (this file)"))
    return out


def resolve(item: types.CompletionItem, db, view) -> types.CompletionItem:
    """Add the documentation of a tapset function, global, alias or family."""
    data = item.data if isinstance(item.data, dict) else None
    if not data:
        return item
    kind, name = data.get("k"), data.get("n")
    text = None
    if kind == "function":
        functions = [f for f in db.functions(name) if view.public(f) and view.exists(f)]
        text = describe.library_functions(db, name, functions) if functions else None
    elif kind == "alias":
        text = describe.probe_point(db, view, name)
    elif kind == "family":
        from ..tapsets.probe_families import find_family

        family = find_family(name)
        if family is not None:
            needs = "needs debuginfo or symbols" if family.needs_debuginfo else "no debuginfo needed"
            text = f"{describe.code_block(family.pattern)}\n\n{family.description} ({needs})"
    elif kind == "global":
        found = [g for g in db.globals(name) if not g.private]
        text = describe.library_global(db, found[0]) if found else None
    if text:
        item.documentation = types.MarkupContent(types.MarkupKind.Markdown, text)
    return item
