#!/usr/bin/env python3
"""`stapkit lsp`: how long a change takes to show its diagnostics, and how long completion takes.

The server runs as an editor runs it (`python -m stapkit.lsp`, LSP over its stdin and stdout),
driven by a small client in this script that timestamps each message as it arrives.

  change -> diagnostics   a 1,016-line script made of eight Debian examples (network/tcp_trace.stp
                          and seven small ones); a character typed into a comment, then the time
                          until the server publishes the diagnostics of that version (the server
                          checks the whole script again).  Goal: median under 100 ms.
  check alone             the same check (`stapkit lint`'s pipeline on the text) in this process,
                          without the server: the part of the above the server cannot go below.
  completion              from a completion request to its answer, at five kinds of place typed into
                          the same script (a function name begun in a probe body, `probe sys`,
                          `probe socket.`, `kernel.function("vfs_`, a printf `%`), asked right after
                          the keystroke, as an editor asks (the check of that keystroke runs
                          meanwhile), and again once the check is done.  Goal: median under 50 ms.
  hover                   from a hover request to its answer, on a name on a line the edit did not
                          touch (the last `ansi_set_color` call), asked right after a keystroke (the
                          check of that keystroke runs meanwhile) and again once the check is done.
                          Goal: median under 20 ms.
  start-up                from starting the server to its answer to `initialize`, and to the
                          diagnostics of the script (the tapset database loaded, the first check).

The same change, completion and hover measurements are made on a second script, generated
here, dense in library aliases: 110 probes on `syscall.open` and `syscall.open.return`
(55 groups of two globals, a helper function, the two probes and a timer; 772 lines).
The hover there is on the last group's global.  Goal for both scripts (issue 14): change ->
diagnostics under 50 ms median, hover and completion under 20 ms while typing.

With --kernel-btf PATH (or `running`) the server is given that kernel description, as an
editor's settings give it (kernelBtf): the same measurements with the kernel checks on.

Usage:
  python3 benchmarks/lsp.py [--runs N] [--json] [--kernel-btf PATH]   (N rounds of each; default 20)
  python3 benchmarks/lsp.py --report RESULTS.json
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402
from _bench import log  # noqa: E402

EXAMPLES = Path("/usr/share/systemtap/examples")
PARTS = ("network/tcp_trace.stp", "apps/gmalloc_watch.stp", "apps/libguestfs_log.stp", "apps/php-trace.stp",
         "apps/stap_time.stp", "general/also_ran.stp", "general/ansi_colors.stp", "general/ansi_colors2.stp")
URI = "file:///tmp/stapkit-lsp-benchmark/script.stp"
# (what is typed, where: "body" inside the last probe's body, "top" at the end of the file, what must come back)
COMPLETIONS = (
    ("function", "body", "    exe", "execname"),
    ("probe point", "top", "probe sys", "syscall"),
    ("after a dot", "top", "probe socket.", "send"),
    ("kernel.function(\"", "top", 'probe kernel.function("vfs_', "vfs_read"),
    ("printf %", "body", '    printf("%', "%d"),
)
GOAL_DIAGNOSTICS = 0.050
GOAL_COMPLETION = 0.020
GOAL_HOVER = 0.020
ALIAS_GROUPS = 55  # x 2 syscall.open probes


class Client:
    """Just enough of an LSP client: framed JSON over pipes, each message timestamped on arrival."""

    def __init__(self, command: list[str], env: dict, cwd: Path):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        self.messages: queue.Queue = queue.Queue()
        self.next_id = 0
        self.pending: list = []  # notifications received while waiting for something else
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.messages.put((time.perf_counter(), None))
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = stream.read(length)
            self.messages.put((time.perf_counter(), json.loads(body)))

    def send(self, message: dict) -> float:
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()
        return time.perf_counter()

    def notify(self, method: str, params) -> float:
        return self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params) -> tuple[object, float]:
        """The result, and the seconds from sending the request to its answer's arrival."""
        self.next_id += 1
        ident = self.next_id
        sent = self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        arrived, message = self.wait(lambda m: m.get("id") == ident and "method" not in m)
        if "error" in message:
            raise RuntimeError(f"{method}: {message['error']}")
        return message.get("result"), arrived - sent

    def wait(self, wanted, timeout: float = 120.0) -> tuple[float, dict]:
        for k, (arrived, message) in enumerate(self.pending):
            if wanted(message):
                del self.pending[k]
                return arrived, message
        deadline = time.monotonic() + timeout
        while True:
            arrived, message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            if message is None:
                raise RuntimeError("the server stopped")
            if message.get("method") == "workspace/configuration" and "id" in message:
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": [None]})
                continue
            if message.get("method") == "client/registerCapability" and "id" in message:
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                continue
            if wanted(message):
                return arrived, message
            self.pending.append((arrived, message))

    def diagnostics_of(self, version: int) -> float:
        arrived, _ = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                               and m["params"]["uri"] == URI and m["params"].get("version") == version)
        return arrived

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


CAPABILITIES = {  # a client that is pushed its diagnostics, and speaks UTF-16
    "textDocument": {"publishDiagnostics": {"relatedInformation": True, "versionSupport": True},
                     "completion": {"completionItem": {"snippetSupport": True}},
                     "hover": {"contentFormat": ["markdown", "plaintext"]}},
    "workspace": {"configuration": True},
}


def script_text() -> str:
    return "\n".join((EXAMPLES / part).read_text() for part in PARTS)


def alias_script_text() -> str:
    """The script dense in library aliases (issue 14): 110 probes on syscall.open / syscall.open.return."""
    groups = ["# opens and failures of open(2), per process name, reported by timers\n"]
    for k in range(ALIAS_GROUPS):
        groups.append(f"""global opens_{k}, fails_{k}
function report_{k}(name) {{
  printf("%s: %d opens, %d failures\\n", name, @count(opens_{k}[name]), fails_{k}[name])
}}
probe syscall.open {{
  if (pid() == target() + {k}) opens_{k}[execname()] <<< 1
}}
probe syscall.open.return {{
  if (retval < 0) fails_{k}[execname()]++
}}
probe timer.s({k + 1}) {{
  foreach (name in opens_{k}) report_{k}(name)
  delete opens_{k}
}}
""")
    return "".join(groups)


SCRIPTS = {  # name -> (the text, the name hovered: its last occurrence)
    "examples": (script_text, "ansi_set_color"),
    "aliases": (alias_script_text, f"opens_{ALIAS_GROUPS - 1}[execname()]"),
}


def position_at(text: str, offset: int) -> dict:
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return {"line": line, "character": len(text[offset - column:offset].encode("utf-16-le")) // 2}


def start(command, env, cwd, options=None) -> tuple[Client, float]:
    client = Client(command, env, cwd)
    _, elapsed = client.request("initialize", {"processId": None, "rootUri": None, "capabilities": CAPABILITIES,
                                               "initializationOptions": options})
    client.notify("initialized", {})
    return client, elapsed


def measure_session(command, env, cwd, text: str, runs: int, options=None, hover_at: str | None = None) -> dict:
    spawned = time.perf_counter()
    client, _ = start(command, env, cwd, options)
    initialized = time.perf_counter() - spawned
    client.notify("textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "systemtap", "version": 1,
                                                            "text": text}})
    first = client.diagnostics_of(1) - spawned
    version = 1
    current = text

    def change(new_text: str, start_offset: int, end_offset: int, inserted: str) -> float:
        nonlocal version, current
        version += 1
        rng = {"start": position_at(current, start_offset), "end": position_at(current, end_offset)}
        sent = client.notify("textDocument/didChange", {
            "textDocument": {"uri": URI, "version": version},
            "contentChanges": [{"range": rng, "text": inserted}]})
        current = new_text
        return sent

    # change -> diagnostics: type a character at the end of the first line (a comment), then delete it.
    latencies = []
    end_of_first = text.index("\n")
    for round_ in range(runs):
        time.sleep(0.2)  # a pause in typing: each change stands alone
        if round_ % 2 == 0:
            sent = change(current[:end_of_first] + "x" + current[end_of_first:], end_of_first, end_of_first, "x")
        else:
            sent = change(current[:end_of_first] + current[end_of_first + 1:], end_of_first, end_of_first + 1, "")
        latencies.append(client.diagnostics_of(version) - sent)

    # hover: right after the keystroke (on a line it did not touch), and again once checked.
    hover = {"typing": [], "idle": []}
    if hover_at is not None:
        for round_ in range(runs):
            time.sleep(0.2)
            if round_ % 2 == 0:
                change(current[:end_of_first] + "x" + current[end_of_first:], end_of_first, end_of_first, "x")
            else:
                change(current[:end_of_first] + current[end_of_first + 1:], end_of_first, end_of_first + 1, "")
            params = {"textDocument": {"uri": URI}, "position": position_at(current, current.rindex(hover_at) + 1)}
            result, typing = client.request("textDocument/hover", params)
            if not result:
                raise RuntimeError(f"no hover on {hover_at!r}")
            client.diagnostics_of(version)
            _, idle = client.request("textDocument/hover", params)
            hover["typing"].append(typing)
            hover["idle"].append(idle)

    # completion: right after the keystroke, and again once checked.
    body = current.rindex("}")  # the last probe's closing brace
    completion = {"typing": [], "idle": [], "by_kind": {}}
    for round_ in range(max(1, runs // len(COMPLETIONS))):
        for kind, where, typed, expected in COMPLETIONS:
            if where == "top":  # a new line at the end of the file
                at, inserted = len(current), "\n" + typed
                cursor = at + len(inserted)
            else:  # a new line before the last probe's `}`
                at, inserted = body, typed + "\n"
                cursor = at + len(typed)
            new_text = current[:at] + inserted + current[at:]
            change(new_text, at, at, inserted)
            params = {"textDocument": {"uri": URI}, "position": position_at(current, cursor)}
            result, typing = client.request("textDocument/completion", params)
            labels = {item["label"] for item in (result["items"] if isinstance(result, dict) else result or [])}
            if not any(label.startswith(expected) for label in labels):
                raise RuntimeError(f"completion of {typed!r} did not offer {expected!r}: {sorted(labels)[:10]}")
            client.diagnostics_of(version)
            _, idle = client.request("textDocument/completion", params)
            completion["typing"].append(typing)
            completion["idle"].append(idle)
            completion["by_kind"].setdefault(kind, []).append(typing)
            change(new_text[:at] + new_text[at + len(inserted):], at, at + len(inserted), "")
            client.diagnostics_of(version)
    client.close()
    return {"initialize": initialized, "first_diagnostics": first, "change_to_diagnostics": latencies,
            "completion": completion, "hover": hover}


def check_alone(src: Path, text: str, runs: int, options=None) -> list[float]:
    """The check of the same text in a child process of the snapshot, without the server."""
    code = (
        "import json, sys, time\n"
        "from stapkit.lint.runner import lint_text\n"
        "from stapkit.lsp.settings import Settings, client_settings\n"
        "text = sys.stdin.read()\n"
        "settings = Settings()\n"
        "settings.client = client_settings(json.loads(sys.argv[1]), None)  # the editor's settings\n"
        "options = settings.options_for('/tmp/stapkit-lsp-benchmark/script.stp').lint\n"
        "lint_text(text, 'script.stp', options)\n"
        "times = []\n"
        f"for _ in range({runs}):\n"
        "    start = time.perf_counter(); lint_text(text, 'script.stp', options)\n"
        "    times.append(time.perf_counter() - start)\n"
        "print(json.dumps(times))\n")
    out = subprocess.run([sys.executable, "-c", code, json.dumps((options or {}).get("stapkit"))], input=text,
                         capture_output=True, text=True,
                         env=_bench.stapkit_env(src), check=True)
    return json.loads(out.stdout)


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"median": statistics.median(ordered), "p90": ordered[int(0.9 * (len(ordered) - 1))],
            "min": ordered[0], "max": ordered[-1], "n": len(ordered), "runs": values}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20, metavar="N")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--report", type=Path, metavar="JSONFILE")
    ap.add_argument("--kernel-btf", metavar="PATH", help="give the server this kernel description (or `running`)")
    args = ap.parse_args(argv)
    options = {"stapkit": {"kernelBtf": args.kernel_btf}} if args.kernel_btf else None
    if args.report:
        print_report(json.loads(args.report.read_text()))
        return 0
    if not all((EXAMPLES / part).is_file() for part in PARTS):
        log(f"the examples are missing from {EXAMPLES} (apt-get install systemtap-doc)")
        return 2

    def measure(scratch: Path, src: Path) -> dict:
        env = _bench.stapkit_env(src)
        command = [sys.executable, "-m", "stapkit.lsp"]
        results = {"kernel_btf": args.kernel_btf, "scripts": {}}
        for name, (make_text, hover_at) in SCRIPTS.items():
            text = make_text()
            log(f"{name}: {text.count(chr(10)) + 1} lines; {args.runs} rounds")
            one = {"lines": text.count("\n") + 1}
            if name == "examples":
                one["parts"] = list(PARTS)
            log("check alone ...")
            one["check_alone"] = summary(check_alone(src, text, args.runs, options))
            log("session ...")
            session = measure_session(command, env, scratch, text, args.runs, options, hover_at)
            one["change_to_diagnostics"] = summary(session["change_to_diagnostics"])
            one["completion_typing"] = summary(session["completion"]["typing"])
            one["completion_idle"] = summary(session["completion"]["idle"])
            one["completion_by_kind"] = {k: summary(v) for k, v in session["completion"]["by_kind"].items()}
            one["hover_typing"] = summary(session["hover"]["typing"])
            one["hover_idle"] = summary(session["hover"]["idle"])
            results["scripts"][name] = one
        log("start-up ...")
        text = script_text()
        starts = [measure_session(command, env, scratch, text, 0, options) for _ in range(3)]
        results["initialize"] = summary([s["initialize"] for s in starts])
        results["first_diagnostics"] = summary([s["first_diagnostics"] for s in starts])
        return results

    return _bench.measure_in_scratch(measure, print_report, as_json=args.json)


def print_report(r: dict) -> None:
    def ms(value: float) -> str:
        return f"{value * 1000:.0f}"

    def row(name, s, goal=None):
        return [name, ms(s["median"]), ms(s["p90"]), ms(s["min"]), str(s["n"]), f"< {ms(goal)}" if goal else ""]

    scripts = r.get("scripts") or {"examples": r}  # (results saved before the second script: one script)
    kernel = f", with the kernel description {r['kernel_btf']}" if r.get("kernel_btf") else ""
    for name, one in scripts.items():
        if name == "examples":
            print(f"a {one['lines']}-line script of {len(one.get('parts', PARTS))} Debian examples{kernel}")
        else:
            print(f"a {one['lines']}-line script dense in library aliases "
                  f"({2 * ALIAS_GROUPS} probes on syscall.open/.return){kernel}")
        rows = [row("change -> diagnostics", one["change_to_diagnostics"], GOAL_DIAGNOSTICS),
                row("check alone (no server)", one["check_alone"]),
                row("completion, while typing", one["completion_typing"], GOAL_COMPLETION),
                row("completion, checked", one["completion_idle"])]
        if "hover_typing" in one:
            rows += [row("hover, while typing", one["hover_typing"], GOAL_HOVER),
                     row("hover, checked", one["hover_idle"])]
        if name == "examples" and "initialize" in r:
            rows += [row("start-up: initialize", r["initialize"]),
                     row("start-up: first diagnostics", r["first_diagnostics"])]
        print(_bench.table(["measurement", "median ms", "p90 ms", "min ms", "n", "goal (median)"], rows,
                           right={1, 2, 3, 4}))
        print("completion while typing, by place: " + ", ".join(
            f"{kind} {ms(s['median'])}" for kind, s in one["completion_by_kind"].items()) + " (median ms)")
        overhead = one["change_to_diagnostics"]["median"] - one["check_alone"]["median"]
        print(f"the server's own share of change -> diagnostics (median, beyond the check): {ms(overhead)} ms")
        print()
    _bench.print_footer(r)


if __name__ == "__main__":
    sys.exit(main())
