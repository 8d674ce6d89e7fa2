#!/usr/bin/env python3
"""Fuzz stapkit at length: mutants of the real corpora through parse, lint, format and the
language server's analysis, each under a time and memory bound (tests/fuzz/README.md).

    nice -n 19 python3 tools/fuzz.py --minutes 60 --jobs 1 --out /tmp/fuzz-out

Every failing input is written to OUT (NNNNN-KIND.stp, with NNNNN-KIND.txt saying what
failed; new failures are also minimised, as NNNNN-KIND.min.stp, when that is cheap),
and a summary is printed (and written to OUT/summary.json): inputs run, CPU seconds,
failures by kind, the distinct new failures, and the known problems of issue 18 by item.
Exit status: 0 no new failure, 1 new failures, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpora import EXAMPLES, TAPSET, TESTSUITE  # noqa: E402
from tests.fuzz.checks import Failure  # noqa: E402
from tests.fuzz.known import known_problem  # noqa: E402
from tests.fuzz.mutations import mutate, seed_files, tokens  # noqa: E402
from tests.fuzz.worker import Worker  # noqa: E402

MINIMISE_SECONDS = 120  # per distinct new failure; then the input is kept as found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, required=True, help="how long to run (wall clock)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--out", required=True, help="directory for the failing inputs and summary.json")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    parser.add_argument("--seconds", type=float, default=10.0, help="time bound per input (default 10)")
    parser.add_argument("--memory-mb", type=int, default=1536, help="address-space bound per worker (default 1536)")
    parser.add_argument("--max-seed-bytes", type=int, default=200_000, help="skip corpus files larger than this")
    parser.add_argument("--no-minimise", action="store_true", help="keep new failing inputs as found")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seed = args.seed if args.seed is not None else int(time.time())
    paths = seed_files(args.max_seed_bytes)
    seeds = [p.read_bytes() for p in paths]
    for root in (TESTSUITE, TAPSET, EXAMPLES):
        found = sum(1 for p in paths if root in p.parents)
        print(f"fuzz: {found} seed files in {root}" + ("" if found else " (missing? STAPKIT_TESTSUITE names "
                                                         "the testsuite)"), flush=True)
    if not seeds:
        print("fuzz: no corpus files found", file=sys.stderr)
        return 2
    run = Run(args, out, seeds)
    print(f"fuzz: {len(seeds)} seed files, seed {seed}, {args.jobs} job(s), {args.minutes} min, out {out}",
          flush=True)
    deadline = time.monotonic() + args.minutes * 60
    # Ctrl-C or `kill PID`: the jobs finish their input and the summary is printed.  (A flag, not
    # KeyboardInterrupt: an interrupted Thread.join can return before the thread has ended.)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, run.stop)
    threads = [threading.Thread(target=run.job, args=(random.Random(seed * 1000 + j), deadline))
               for j in range(args.jobs)]
    for t in threads:
        t.start()
    last = time.monotonic()
    while any(t.is_alive() for t in threads):
        time.sleep(1)
        if time.monotonic() - last >= 60:
            last = time.monotonic()
            run.progress()
    for t in threads:
        t.join()
    return run.summary(seed)


class Run:
    def __init__(self, args, out: Path, seeds: list[bytes]):
        self.args = args
        self.out = out
        self.seeds = seeds
        self.lock = threading.Lock()
        self.inputs = 0
        self.worker_cpu = 0.0  # as the workers measured each input
        self.by_kind: Counter = Counter()
        self.known: Counter = Counter()
        self.new: dict[tuple, dict] = {}  # signature -> the first failure's record
        self.new_count: Counter = Counter()
        self.numbered = 0
        self.stopping = False
        self.started = time.monotonic()

    def stop(self, signum=None, frame=None) -> None:
        self.stopping = True

    def job(self, rng: random.Random, deadline: float) -> None:
        with Worker(self.args.seconds, self.args.memory_mb) as worker:
            while time.monotonic() < deadline and not self.stopping:
                data = mutate(rng, self.seeds)
                failures, cpu = worker.run(data)
                with self.lock:
                    self.inputs += 1
                    self.worker_cpu += cpu
                for failure in failures:
                    self.record(worker, data, failure)

    def record(self, worker: Worker, data: bytes, failure: Failure) -> None:
        known = known_problem(data, failure)
        with self.lock:
            self.numbered += 1
            number = self.numbered
            self.by_kind[failure.kind] += 1
            signature = failure.signature()
            first = known is None and signature not in self.new
            if known is not None:
                self.known[known.item] += 1
            else:
                self.new_count[signature] += 1
        name = f"{number:05d}-{failure.kind}"
        path = self.out / f"{name}.stp"
        path.write_bytes(data)
        note = [f"kind: {failure.kind}", f"stage: {failure.stage}", f"message: {failure.message}",
                f"where: {failure.where}", "frames:", *(f"  {f}" for f in failure.frames)]
        note.append(f"known: issue 18 item {known.item} ({known.owner})" if known else "known: no (new)")
        record = {"input": str(path), "kind": failure.kind, "stage": failure.stage, "message": failure.message,
                  "where": failure.where, "frames": list(failure.frames)}
        if first and not self.args.no_minimise and failure.kind not in ("timeout", "memory", "crash"):
            small = minimise(worker, data, signature)
            if len(small) < len(data):
                minimised = self.out / f"{name}.min.stp"
                minimised.write_bytes(small)
                note.append(f"minimised: {minimised} ({len(small)} bytes, from {len(data)})")
                record["minimised"] = str(minimised)
        (self.out / f"{name}.txt").write_text("\n".join(note) + "\n")
        if first:
            with self.lock:
                self.new[signature] = record
            print(f"fuzz: NEW {failure.kind} in {failure.stage} at {failure.where}: {failure.message[:200]} "
                  f"-> {path}", flush=True)

    def progress(self) -> None:
        with self.lock:
            print(f"fuzz: {time.monotonic() - self.started:.0f} s, {self.inputs} inputs, "
                  f"{self.worker_cpu:.0f} CPU s in workers, failures {dict(self.by_kind)}, "
                  f"{len(self.new)} new", flush=True)

    def summary(self, seed: int) -> int:
        times = os.times()  # the workers have ended and been reaped: their CPU time is in children_*
        cpu = times.user + times.system + times.children_user + times.children_system
        summary = {
            "seed": seed, "inputs": self.inputs, "cpu_seconds": round(cpu, 1),
            "worker_cpu_seconds": round(self.worker_cpu, 1),
            "wall_seconds": round(time.monotonic() - self.started, 1),
            "failures_by_kind": dict(self.by_kind), "known_by_item": dict(self.known),
            "new": [dict(r, count=self.new_count[s]) for s, r in self.new.items()],
        }
        (self.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        print(f"fuzz: {self.inputs} inputs, {cpu:.0f} CPU seconds ({self.worker_cpu:.0f} in checks), "
              f"{summary['wall_seconds']:.0f} s wall")
        print(f"fuzz: failures by kind: {dict(self.by_kind) or 'none'}")
        for item, count in sorted(self.known.items()):
            print(f"fuzz: known (issue 18 item {item}): {count}")
        for signature, record in self.new.items():
            print(f"fuzz: NEW x{self.new_count[signature]}: {record['kind']} in {record['stage']} at "
                  f"{record['where']}: {record['message'][:200]} -> {record.get('minimised', record['input'])}")
        print(f"fuzz: {len(self.new)} new distinct failure(s); details in {self.out}")
        return 1 if self.new else 0


def minimise(worker: Worker, data: bytes, signature: tuple, seconds: float = MINIMISE_SECONDS) -> bytes:
    """Delete chunks of tokens while the same failure (kind, stage, function) still happens."""
    toks = tokens(data)
    if b"".join(toks) != data:  # the cut lost bytes: minimise bytes instead
        toks = [bytes((b,)) for b in data]
    end = time.monotonic() + seconds
    chunk = max(1, len(toks) // 2)
    while chunk >= 1 and time.monotonic() < end:
        i, removed = 0, False
        while i < len(toks) and time.monotonic() < end:
            candidate = toks[:i] + toks[i + chunk:]
            failures, _ = worker.run(b"".join(candidate))
            if any(f.signature() == signature for f in failures):
                toks, removed = candidate, True
            else:
                i += chunk
        if not removed:
            chunk //= 2
    return b"".join(toks)


if __name__ == "__main__":
    sys.exit(main())
