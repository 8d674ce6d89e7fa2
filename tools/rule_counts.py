"""How often each lint rule fires on the real corpora, with every finding listed.

    python3 tools/rule_counts.py                 # the table
    python3 tools/rule_counts.py --findings F    # also write every finding to F (JSON, by code)
    python3 tools/rule_counts.py --kernel-btf running --codes STP211,STP212,STP32
                                                 # the kernel checks against this machine's kernel

The corpora are read in place: the Debian examples and tapset library
(`apt-get install systemtap-doc systemtap-common`) and the SystemTap
testsuite beside the checkout (../shared/corpus/systemtap-testsuite).  Only the
lint rules' codes are counted (stage "linter"), and the checker's codes that
start with one of `--codes`; the default selection applies.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORPORA = {
    "examples": "/usr/share/systemtap/examples/**/*.stp",
    "tapsets": "/usr/share/systemtap/tapset/**/*.stp*",
    "testsuite": str(ROOT.parent / "shared" / "corpus" / "systemtap-testsuite" / "**" / "*.stp"),
}


def _lint(job):
    from stapkit.kernel.loading import KernelSource
    from stapkit.lint.registry import all_rules
    from stapkit.lint.runner import LintOptions, lint_file
    from stapkit.semantic.options import CheckOptions
    from stapkit.syntax.options import ParseOptions

    corpus, path, kernel, codes = job
    rules = all_rules()
    result = lint_file(path, LintOptions(CheckOptions(parse=ParseOptions(tapset=corpus == "tapsets"),
                                                      kernel=KernelSource(*kernel))))
    found = []
    for d in result.diagnostics:
        entry = rules.get(d.code)
        if (entry is not None and entry.stage == "linter") or d.code.startswith(codes):
            line = result.text.count("\n", 0, d.span.start) + 1 if result.text else 0
            found.append((d.code, f"{path}:{line}: {d.message}"))
    return corpus, found


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--findings", type=Path, metavar="FILE", help="write every finding here (JSON)")
    ap.add_argument("--kernel-btf", metavar="PATH", help="check against this kernel (BTF, saved file or 'running')")
    ap.add_argument("--kernel-symbols", metavar="PATH", help="the kernel's symbol table")
    ap.add_argument("--codes", default="", help="checker codes (or prefixes) to count too, comma-separated")
    args = ap.parse_args(argv)
    codes = tuple(c for c in args.codes.split(",") if c)
    kernel = (args.kernel_btf, args.kernel_symbols)
    from stapkit.lint.registry import all_rules

    files = {name: sorted(glob.glob(pattern, recursive=True)) for name, pattern in CORPORA.items()}
    jobs = [(name, path, kernel, codes) for name, paths in files.items() for path in paths]
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    findings: dict[str, list[str]] = collections.defaultdict(list)
    with ProcessPoolExecutor() as pool:
        for corpus, found in pool.map(_lint, jobs, chunksize=8):
            for code, text in found:
                counts[corpus][code] += 1
                findings[code].append(f"{corpus}: {text}")
    rules = all_rules()
    print("code    " + "".join(f"{name:>11}" for name in CORPORA) + "  name")
    for code in sorted({c for found in counts.values() for c in found}):
        print(f"{code:8}" + "".join(f"{counts[name][code]:>11}" for name in CORPORA) + f"  {rules[code].name if code in rules else ''}")
    print("files:  " + ", ".join(f"{name} {len(paths)}" for name, paths in files.items()))
    if args.findings:
        args.findings.write_text(json.dumps(findings, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
