#!/usr/bin/env python3
"""Where `stapkit format` spends its CPU: each phase of formatting, over the whole 4.8 tapset library.

In one process, for every file of /usr/share/systemtap/tapset (607 files), timed
apart with `time.process_time`:

  lex      the input's tokens (`lex(text, version=ALL_FEATURES)`)
  parse    the syntax-only parse (`parse_text(..., build=False)`: are there syntax errors?)
  layout   the layout (`layout(text, style, lexed)`)
  check    the safety check of a file that changed (`check_same_program`: the output
           lexed again, tokens and comments compared, the parser's input where it matters)

as `format_text` runs them, with the collector frozen and off (format_text pauses it per
file).  One warm-up call first loads the grammar's tables and the library's macros.  Each
run is a pass over the library; the best run is reported (the host's speed varies: compare
two commits alternately, e.g. `--source` a worktree of the older one).

Usage:
  python3 benchmarks/format_phases.py [--runs N] [--json] [--source CHECKOUT]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PHASES = ("lex", "parse", "layout", "check")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, metavar="N")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--source", type=Path, default=REPO, metavar="CHECKOUT",
                    help="the stapkit checkout to measure (default: this one)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.source.resolve()))  # its stapkit, before any installed one

    from stapkit.format.formatter import check_same_program, format_text, syntax_options
    from stapkit.format.layout import ALL_FEATURES, Style, layout
    from stapkit.syntax.lexer import lex
    from stapkit.syntax.parser import parse_text

    root = Path("/usr/share/systemtap/tapset")
    paths = sorted(p for p in root.rglob("*") if p.suffix in (".stp", ".stpm"))
    if not paths:
        print("no tapset library (apt-get install systemtap-common)", file=sys.stderr)
        return 2
    texts = [(str(p), p.read_text(encoding="utf-8", errors="surrogateescape")) for p in paths]
    options = syntax_options()  # as format_text parses
    style = Style()
    format_text("", "<start>")
    gc.freeze()
    gc.disable()
    clock = time.process_time
    best = {phase: float("inf") for phase in PHASES}
    best["total"] = float("inf")
    for _ in range(max(args.runs, 1)):
        spent = dict.fromkeys(PHASES, 0.0)
        for path, text in texts:
            a = clock()
            lexed = lex(text, version=ALL_FEATURES)
            b = clock()
            before = parse_text(text, path, options, lexed=(ALL_FEATURES, lexed), build=False)
            c = clock()
            out = layout(text, style, lexed)
            d = clock()
            if out != text:
                check_same_program(text, out, before, path, options, lexed)
            e = clock()
            spent["lex"] += b - a
            spent["parse"] += c - b
            spent["layout"] += d - c
            spent["check"] += e - d
        spent["total"] = sum(spent.values())
        if spent["total"] < best["total"]:
            best = spent
    gc.enable()
    gc.unfreeze()
    if args.json:
        json.dump({"files": len(texts), "runs": args.runs, "source": str(args.source), "best_run_cpu_s": best},
                  sys.stdout, indent=1)
        print()
        return 0
    print(f"{len(texts)} files of {root}, stapkit of {args.source}, CPU seconds of the best of {args.runs} runs:")
    for phase in (*PHASES, "total"):
        print(f"  {phase:<7} {best[phase]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
