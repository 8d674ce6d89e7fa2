"""`stapkit lsp`: the language server, on stdin and stdout.

Registered in stapkit/cli/__init__.py as

    from ..lsp.cli import add_arguments as add_lsp_arguments
    lsp = commands.add_parser("lsp", help=HELP, description=DESCRIPTION)
    add_lsp_arguments(lsp)
    ...
    if args.command == "lsp":
        from ..lsp.cli import run
        return run(args)
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "the language server (LSP on stdin/stdout): diagnostics, hover, completion, ... in any editor"
DESCRIPTION = ("Run stapkit's language server on standard input and output, for an editor's LSP client: "
               "every diagnostic of 'stapkit lint' as you type, hover, completion, signature help, "
               "go to definition, references, symbols, folding, formatting, code actions and rename. "
               "It reads the same configuration files as the other commands. Set-ups for Neovim, "
               "VS Code, Helix and Emacs: docs/editors.md. Exit status: 0 after the client's "
               "shutdown and exit, 1 if the client exited without shutdown.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true",
                        help="talk on stdin/stdout (the default and only transport; accepted because "
                             "some clients pass it)")
    parser.add_argument("--log-file", type=Path, metavar="FILE",
                        help="write the server's log to FILE instead of standard error")
    parser.add_argument("--log-level", choices=("error", "warning", "info", "debug"), default="warning",
                        help="how much to log (default: warning; debug logs every message exchanged)")


def run(args) -> int:
    from .server import serve

    return serve(args.log_file, args.log_level)
