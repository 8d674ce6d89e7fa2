"""The syntax layer: lexer, preprocessor, parser and AST of the SystemTap language.

    from stapkit.syntax import parse_text, parse_file, ParseOptions
    result = parse_text('probe begin { println("hi") }')
    result.script        # stapkit.syntax.ast.Script
    result.diagnostics   # every syntax problem, as Diagnostic records
"""

__all__ = ["ParseOptions", "ParseResult", "Target", "parse_file", "parse_text"]


def __getattr__(name: str):
    # Loaded on first use: importing a small module of this package (the
    # target, the tokens) must not pull in the parser and its grammar tables.
    if name == "Target":
        from .target import Target

        return Target
    if name in __all__:
        from . import parser

        return getattr(parser, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
