"""textDocument/signatureHelp: the parameters of the call around the cursor.

For the script's functions and the library's (every overload for the
target), the print family (printf's parameters are its format's
conversions, `%s` a string, `%d` a long, `%*d` a width and a long), the
@-operators and macros.  Like completion, it reads the tokens around the
cursor and never waits for a check.
"""

from __future__ import annotations

import re

from lsprotocol import types

from ..syntax.printf_format import parse_format
from . import context as ctxmod
from . import describe

_FUNCTION_HEAD = re.compile(r"^[ \t]*(?:private[ \t]+)?function[ \t]+([A-Za-z_][A-Za-z0-9_]*)(?::(\w+))?[ \t]*"
                            r"\(([^)]*)\)", re.MULTILINE)
_PRINTS = {
    "print": ["value"], "println": ["value", "..."], "printd": ["delimiter:string", "value", "..."],
    "printdln": ["delimiter:string", "value", "..."], "print_char": ["character:long"],
}


class _Signature:
    def __init__(self, name: str, params: list[str], returns: str | None = None, doc: str | None = None):
        self.name = name
        self.params = params
        self.returns = returns
        self.doc = doc

    def information(self) -> types.SignatureInformation:
        label = self.name + "("
        parameters = []
        for k, param in enumerate(self.params):
            if k:
                label += ", "
            parameters.append(types.ParameterInformation(label=(len(label), len(label) + len(param))))
            label += param
        label += ")"
        if self.returns and self.returns != "unknown":
            label += ":" + self.returns
        doc = types.MarkupContent(types.MarkupKind.Markdown, self.doc) if self.doc else None
        return types.SignatureInformation(label=label, documentation=doc, parameters=parameters)


def signature_help(text: str, offset: int, index, db, view, analysis=None) -> types.SignatureHelp | None:
    ctx = ctxmod.context_at(text, offset, view.target.language_version)
    if ctx.kind not in (ctxmod.CODE, ctxmod.FORMAT, ctxmod.STRING):
        return None
    call = ctxmod.enclosing_call(ctx)
    if call is None:
        return None
    name_token, argument = call
    signatures = _signatures(text, ctx, name_token, index, db, view, analysis)
    if not signatures:
        return None
    active = next((k for k, s in enumerate(signatures)
                   if argument < len(s.params) or (s.params and s.params[-1] == "...")), 0)
    params = signatures[active].params
    active_parameter = min(argument, len(params) - 1) if params else 0
    if params and params[-1] == "..." and argument >= len(params) - 1:
        active_parameter = len(params) - 1
    return types.SignatureHelp(signatures=[s.information() for s in signatures], active_signature=active,
                               active_parameter=active_parameter)


def _signatures(text, ctx, name_token, index, db, view, analysis) -> list[_Signature]:
    name = name_token.text
    if name_token.kind == "AT_OTHER":
        return _macro(name[1:], index, analysis)
    if name_token.kind.startswith("AT_"):
        signature, meaning = describe.AT_OPERATORS.get(name, (None, None))
        if signature is None:
            return []
        inner = signature[signature.index("(") + 1:signature.rindex(")")]
        return [_Signature(name, _split_params(inner), doc=meaning)]
    if name in ("printf", "sprintf"):
        return [_printf(name, ctx, name_token)]
    base = name[1:] if name.startswith("s") and name[1:] in _PRINTS else name
    if base in _PRINTS:
        return [_Signature(name, list(_PRINTS[base]), "string" if base != name else None)]
    found = []
    for match in _FUNCTION_HEAD.finditer(text):
        if match.group(1) == name:
            params = [p.strip() for p in match.group(3).split(",") if p.strip()]
            found.append(_Signature(name, params, match.group(2), "function of this file"))
    if found:
        return found
    for f in index.functions.get(name, ()):
        found.append(_Signature(name, [f"{p.name}:{p.type}" for p in f.params], f.return_type,
                                f"callable by: **{f.privilege}** · defined at `{f.where}`"))
    return found


def _split_params(inner: str) -> list[str]:
    """`a, "b" [, "c"]` -> ['a', '"b"', '[, "c"]'] as a label reads them: optional parts kept whole."""
    params = []
    depth = 0
    current = ""
    for ch in inner:
        if ch == "[":
            if current.strip():
                params.append(current.strip())
            current = "["
            depth += 1
            continue
        if ch == "]":
            depth -= 1
            current += ch
            continue
        if ch == "," and depth == 0:
            if current.strip():
                params.append(current.strip())
            current = ""
            continue
        current += ch
    if current.strip():
        params.append(current.strip())
    return [p.removeprefix("[,").strip().removeprefix("[").rstrip("]").strip() for p in params]


def _macro(name: str, index, analysis) -> list[_Signature]:
    if analysis is not None:
        macro = analysis.parse.macros.get(name)
        if macro is not None:
            return [_Signature("@" + name, list(macro.params), doc="macro of this file")]
    for macro in index.macros.get(name, ()):
        return [_Signature("@" + name, list(macro.params), doc=f"library macro ({macro.where})")]
    return []


def _printf(name: str, ctx, name_token) -> _Signature:
    """printf's parameters: the format, then one per conversion of a literal format."""
    tokens = ctx.tokens
    k = next((i for i, t in enumerate(tokens) if t.start == name_token.start), None)
    params = ["format:string"]
    fmt = tokens[k + 2] if k is not None and k + 2 < len(tokens) else None
    after = tokens[k + 3] if k is not None and k + 3 < len(tokens) else None
    if fmt is not None and fmt.kind == "STRING" and (after is None or after.kind in ("COMMA", "RPAR")):
        conversions, error = parse_format(fmt.text[1:-1])
        if error is None:
            for conv in conversions:
                if conv.width == "*":
                    params.append(f"width of {conv.text}:long")
                if conv.precision == "*":
                    params.append(f"precision of {conv.text}:long")
                params.append(f"{conv.text}:{'string' if conv.takes_string else 'long'}")
            return _Signature(name, params, "string" if name == "sprintf" else None,
                              "the values, as the format's conversions say")
    return _Signature(name, params + ["value", "..."], "string" if name == "sprintf" else None)
