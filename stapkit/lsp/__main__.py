"""`python -m stapkit.lsp`: the language server, as `stapkit lsp` runs it."""

import argparse
import sys

from .cli import DESCRIPTION, add_arguments, run

parser = argparse.ArgumentParser(prog="stapkit lsp", description=DESCRIPTION)
add_arguments(parser)
sys.exit(run(parser.parse_args()))
