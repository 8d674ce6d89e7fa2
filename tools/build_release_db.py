"""Build tapset_db/tapsets-releases.jsonl: every SystemTap release's library, from SystemTap's git history.

    python3 tools/build_release_db.py --git-dir /work/.mirror/sailfishos-mirror+systemtap/repo \
        [--releases 4.8,5.5] [--work DIR] [--timeout 600] [-o tapset_db/tapsets-releases.jsonl]

For each release (the tag release-X, and the development head as the next
version), `git archive` puts its tapset/ directory, its generated 3stap pages
(doc/SystemTap_Tapset_Reference/man3) and its man/ overview pages in a
temporary directory, and `stapkit db build` (a child process, bounded by
--timeout) builds that release's single-release database.  A release whose
build fails or runs out of time is skipped and named in the header's
provenance.  The single-release databases are then merged
(stapkit/tapsets/releases.py), and each release's view of the result is
checked against its own database, record for record.

With --work DIR the single-release databases are kept there and reused (a
file DIR/X.jsonl is taken as release X's build); the merged file depends only
on them, so the result is the same byte for byte.  Progress goes to a
terminal; otherwise only problems are printed.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Every x.y release from 1.0 to 5.5 (the point releases 1.0.9, 2.2.1, 4.9a, 5.0a are left out:
# each is its x.y's library with fixes).
RELEASES = ("1.0 1.1 1.2 1.3 1.4 1.5 1.6 1.7 1.8 2.0 2.1 2.2 2.3 2.4 2.5 2.6 2.7 2.8 2.9 "
            "3.0 3.1 3.2 3.3 4.0 4.1 4.2 4.3 4.4 4.5 4.6 4.7 4.8 4.9 5.0 5.1 5.2 5.3 5.4 5.5").split()
HEAD_RELEASE = "5.6"  # the development head's configure.ac version
SOURCE = "github:sailfishos-mirror/systemtap"
ARCHIVED = ("tapset", "doc/SystemTap_Tapset_Reference/man3", "man")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--git-dir", type=Path, required=True, help="a bare clone of SystemTap's history")
    parser.add_argument("--releases", help="comma-separated releases (default: 1.0 to 5.5 and the head)")
    parser.add_argument("--work", type=Path, help="keep (and reuse) the single-release databases here")
    parser.add_argument("--timeout", type=int, default=600, help="seconds one release's build may take")
    parser.add_argument("-o", "--output", type=Path, default=REPO / "tapset_db" / "tapsets-releases.jsonl")
    args = parser.parse_args(argv)
    releases = args.releases.split(",") if args.releases else RELEASES + [HEAD_RELEASE]
    from stapkit.cli.progress import progress_for

    # On a terminal: the releases done, the tapset files of the release being built (its
    # `stapkit db build --progress` tells them), the time left; elsewhere only problems.
    shown = progress_for(sys.stderr, len(releases), "releases")
    with tempfile.TemporaryDirectory(prefix="stapkit-releases-") as scratch:
        work = args.work or Path(scratch) / "builds"
        work.mkdir(parents=True, exist_ok=True)
        built, skipped, commits = [], {}, {}
        for n, release in enumerate(releases):
            if shown:
                shown.update(n, f"{release}: ")
            ref = "HEAD" if release == HEAD_RELEASE else f"release-{release}"
            commit = _git(args.git_dir, "rev-parse", f"{ref}^{{commit}}")
            if commit is None:
                skipped[release] = f"no {ref} in {args.git_dir}"
                continue
            commits[release] = commit.strip()
            out = work / f"{release}.jsonl"
            if not out.is_file():
                files = None
                if shown:
                    def files(done, total, n=n, release=release):
                        # the time left counts the release being built as done in part
                        shown.update(n + done / max(total, 1), f"{release}: {done}/{total} tapset files, ")
                problem = _build_one(args.git_dir, ref, release, Path(scratch) / release, out, args.timeout, files)
                if problem:
                    skipped[release] = problem
                    if shown:
                        shown.close()
                    print(f"build_release_db: {release}: skipped: {problem}", file=sys.stderr)
                    continue
            built.append((release, out.read_text(encoding="utf-8")))
        if shown:
            shown.update(len(releases), "built: ")
            shown.close()
    from stapkit.tapsets.releases import merge

    provenance = {"source": SOURCE, "commits": commits, "prerelease": HEAD_RELEASE if HEAD_RELEASE in commits else None,
                  "skipped": skipped}
    text = merge(built, provenance)
    problems = _check(text, built)
    for problem in problems:
        print(f"build_release_db: {problem}", file=sys.stderr)
    if problems:
        return 1
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}: {len(built)} releases, {len(text.encode()) / 1e6:.2f} MB"
          + (f"; skipped {', '.join(sorted(skipped))}" if skipped else ""), file=sys.stderr)
    return 0


def _git(git_dir: Path, *argv: str, binary: bool = False):
    done = subprocess.run(["git", f"--git-dir={git_dir}", *argv], capture_output=True, timeout=300)
    if done.returncode != 0:
        return None
    return done.stdout if binary else done.stdout.decode()


def _build_one(git_dir: Path, ref: str, release: str, tree: Path, out: Path, timeout: int,
               files=None) -> str | None:
    """Build one release's database into `out`; the problem if it could not be built.
    `files(done, total)`, if given, is told the tapset files the build has read."""
    man3 = tree / "man3"
    man3.mkdir(parents=True)
    for path in ARCHIVED:
        data = _git(git_dir, "archive", ref, path, binary=True)
        if data is None:
            if path == "tapset":
                return f"{ref} has no tapset/ directory"
            continue  # older releases have no generated pages
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(tree, filter="data")
    for source in (tree / "doc/SystemTap_Tapset_Reference/man3", tree / "man"):
        for page in sorted(source.glob("*.3stap")) if source.is_dir() else ():
            (man3 / page.name).write_bytes(page.read_bytes())
    env = dict(os.environ, PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "stapkit", "db", "build", "--tapset-dir", str(tree / "tapset"),
               "--man-dir", str(man3), "--systemtap-version", release, "--output", str(out)]
    messages: list[str] = []
    with subprocess.Popen(command + (["--progress"] if files else []), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, env=env) as child:
        # Its standard error read as it comes (the progress lines), on a thread: the wait is bounded.
        reader = threading.Thread(target=_read_messages, args=(child.stderr, files, messages), daemon=True)
        reader.start()
        try:
            status = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            return f"the build took more than {timeout} s"
        finally:
            reader.join(timeout=10)
    if status != 0 or not out.is_file():
        last = ([m for m in messages if m.strip()] or ["no message"])[-1].strip()
        return f"the build failed (exit {status}): {last}"
    return None


_FILES_READ = re.compile(r"(\d+)/(\d+) tapset files read")


def _read_messages(stream, files, messages: list[str]) -> None:
    """The child's standard error: its progress lines to `files`, the rest kept in `messages`."""
    for line in stream:
        found = _FILES_READ.match(line)
        if found and files is not None:
            files(int(found[1]), int(found[2]))
        else:
            messages.append(line)


def _check(text: str, built: list[tuple[str, str]]) -> list[str]:
    """Each release's view of the merged file against its own database, record for record."""
    from stapkit.tapsets import store
    from stapkit.tapsets.db import TapsetDB
    from stapkit.tapsets.releases import ReleaseHistory

    with tempfile.TemporaryDirectory() as tmp:
        merged = Path(tmp) / "merged.jsonl"
        merged.write_text(text, encoding="utf-8")
        history = ReleaseHistory.load(merged)
        problems = []
        for release, single_text in built:
            single_path = Path(tmp) / f"{release}.jsonl"
            single_path.write_text(single_text, encoding="utf-8")
            single, view = TapsetDB.load(single_path), history.view(release)
            for kind in store.KINDS:
                names = single.names(kind)
                if view.names(kind) != names:
                    problems.append(f"{release}: the view's {kind} names differ from the release's database")
                    continue
                for name in names:
                    ours = [store.encode(kind, item) for item in view._items(kind, name)]
                    if ours != [store.encode(kind, item) for item in single._items(kind, name)]:
                        problems.append(f"{release}: {kind} {name!r} differs from the release's database")
        return problems


if __name__ == "__main__":
    sys.exit(main())
