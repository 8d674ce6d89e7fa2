"""The syntax layer: lexer, preprocessor, parser and AST of the SystemTap language.

    from stapkit.syntax import parse_text, parse_file, ParseOptions
    result = parse_text('probe begin { println("hi") }')
    result.script        # stapkit.syntax.ast.Script
    result.diagnostics   # every syntax problem, as Diagnostic records
"""

from .parser import ParseOptions, ParseResult, parse_file, parse_text
from .target import Target

__all__ = ["ParseOptions", "ParseResult", "Target", "parse_file", "parse_text"]
