"""What the harness asserts about one input, in the worker process (see worker.py).

The input (bytes) goes through the public entry points:

* in-process, as the text an editor would send (decoded with U+FFFD for bad
  bytes): `parse_text`, `format_text` (twice) and the language server's
  `analyze` (which lints) with the parts of an Analysis the features read;
* as a file, through `stapkit lint --output-format json` and `stapkit format`
  (twice), which read and write bytes.

A failure is a traceback escaping an entry point, a FormatError (the
formatter's own safety check refused its layout), a non-whitespace character
or byte that formatting changed, a file whose tokens changed, a second
formatting that changes the first one's result, or a lint diagnostic whose
position is no place in the file (a line or column below 1, an end before its
start).  Time and memory bounds are the worker's (a CPU-time signal and
RLIMIT_AS); their failures carry the stack
that was running when the bound was hit.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import traceback
from collections import Counter

import attrs

WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
WHITESPACE_BYTES = re.compile(rb"[ \t\n\r\f\v]+")
# A frame of a traceback as traceback.format_exception prints it.
FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


class Timeout(BaseException):
    """The per-input time bound (a BaseException: `except Exception` in the library must not eat it)."""


@attrs.frozen
class Failure:
    # traceback, timeout, memory, crash, format-refused, changed-text, changed-bytes, changed-tokens,
    # not-idempotent, bad-diagnostic
    kind: str
    stage: str  # parse, format, format-again, analyze, file-lint, file-format, file-format-again
    message: str
    frames: tuple[str, ...] = ()  # "stapkit/module.py:function", innermost last, stapkit frames only

    @property
    def where(self) -> str:
        return self.frames[-1] if self.frames else "-"

    def signature(self) -> tuple[str, str, str]:
        """What makes two failures the same one: the kind, the stage and the innermost stapkit function.

        For a hang, where the bound struck is chance: the function the stack repeats most
        (the recursion or loop that ran away) stands for it instead.
        """
        if self.kind in ("timeout", "memory") and self.frames:
            counts = Counter(self.frames)
            return (self.kind, self.stage, max(reversed(self.frames), key=counts.__getitem__))
        return (self.kind, self.stage, self.where)


def stapkit_frames(trace: str) -> tuple[str, ...]:
    frames = []
    for path, _line, function in FRAME.findall(trace):
        if "/stapkit/" in path:
            frames.append(f"stapkit/{path.rsplit('/stapkit/', 1)[1]}:{function}")
    return tuple(frames)


def from_exception(stage: str, err: BaseException) -> Failure:
    trace = "".join(traceback.format_exception(err))
    kind = "timeout" if isinstance(err, Timeout) else "memory" if isinstance(err, MemoryError) else "traceback"
    return Failure(kind, stage, f"{type(err).__name__}: {err}"[:500], stapkit_frames(trace))


class Checker:
    """Runs the checks on one input after another; `scratch` is a directory for the file-level ones."""

    def __init__(self, scratch: str):
        from stapkit.lsp.settings import Settings
        from stapkit.syntax import ParseOptions

        self.scratch = scratch
        # The installed tapset library's macros are read as stap reads them; no configuration file.
        self.parse_options = ParseOptions()
        self.document_options = Settings().options_for(None)

    def check(self, data: bytes) -> list[Failure]:
        failures: list[Failure] = []
        text = data.decode("utf-8", errors="replace")
        for stage, run in (("parse", self._parse), ("format", self._format), ("analyze", self._analyze),
                           ("file-lint", self._file_lint), ("file-format", self._file_format)):
            try:
                failures += run(data if stage.startswith("file-") else text)
            except (Exception, RecursionError, MemoryError, Timeout) as err:
                failures.append(from_exception(stage, err))
            if failures:
                break  # the state of the library after a failure is not to be trusted
        return failures

    def _parse(self, text: str) -> list[Failure]:
        from stapkit.syntax import parse_text

        parse_text(text, "fuzz.stp", self.parse_options)
        return []

    def _file_lint(self, data: bytes) -> list[Failure]:
        path = self._write(data)
        failure, out = self._run(["lint", "--no-cache", "--output-format", "json", path], "file-lint")
        if failure:
            return [failure]
        for d in json.loads(out):
            if d["file"] == path and not (1 <= d["line"] <= d["end_line"] and d["column"] >= 1
                                          and (d["line"], d["column"]) <= (d["end_line"], d["end_column"])):
                return [Failure("bad-diagnostic", "file-lint", f"a diagnostic out of place: {d}"[:500])]
        return []

    def _write(self, data: bytes) -> str:
        path = os.path.join(self.scratch, "fuzz.stp")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def _format(self, text: str) -> list[Failure]:
        from stapkit.format.formatter import FormatError, format_text

        try:
            result = format_text(text, "fuzz.stp", options=self.parse_options)
        except FormatError as err:
            return [Failure("format-refused", "format", str(err)[:500])]
        if not result.changed:
            return []
        if WHITESPACE.sub("", result.text) != WHITESPACE.sub("", text):
            return [Failure("changed-text", "format", "a character other than whitespace changed")]
        try:
            again = format_text(result.text, "fuzz.stp", options=self.parse_options)
        except FormatError as err:
            return [Failure("format-refused", "format-again", str(err)[:500])]
        if again.text != result.text:
            return [Failure("not-idempotent", "format-again", "formatting the formatted text changed it")]
        return []

    def _analyze(self, text: str) -> list[Failure]:
        from stapkit.lsp.analysis import analyze
        from stapkit.lsp.convert import to_lsp_diagnostic

        uri = "file:///fuzz/fuzz.stp"
        analysis = analyze(uri, "/fuzz/fuzz.stp", 1, text, self.document_options, "utf-16")
        [to_lsp_diagnostic(d, uri, analysis.positions) for d in analysis.diagnostics]
        analysis.symbols()
        analysis.types()
        analysis.tokens_at(len(text) // 2)
        analysis.item_at(len(text) // 2)
        return []

    def _file_format(self, data: bytes) -> list[Failure]:
        path = self._write(data)
        failure, _ = self._run(["format", path], "file-format")
        if failure:
            return [failure]
        with open(path, "rb") as f:
            once = f.read()
        if once == data:
            return []
        if WHITESPACE_BYTES.sub(b"", once) != WHITESPACE_BYTES.sub(b"", data):
            message = "`stapkit format` changed a byte other than whitespace"
            as_read = data.decode("utf-8", errors="replace").encode("utf-8")
            if WHITESPACE_BYTES.sub(b"", once) == WHITESPACE_BYTES.sub(b"", as_read):
                message += ": only bytes that are not UTF-8, each written back as U+FFFD"
            return [Failure("changed-bytes", "file-format", message)]
        if _tokens(once) != _tokens(data):
            return [Failure("changed-tokens", "file-format", "`stapkit format` changed the file's tokens")]
        failure, _ = self._run(["format", path], "file-format-again")
        if failure:
            return [failure]
        with open(path, "rb") as f:
            twice = f.read()
        if twice != once:
            return [Failure("not-idempotent", "file-format-again", "formatting the formatted file changed it")]
        return []

    def _run(self, argv: list[str], stage: str) -> tuple[Failure | None, str]:
        """Run `stapkit ARGV` in this process: an internal error is a failure; else what it printed."""
        from stapkit.cli import main

        out, err = io.StringIO(), io.StringIO()
        os.environ["STAPKIT_DEBUG"] = "1"  # an internal error prints its traceback
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        errors = err.getvalue()
        if code == 2 and "usage:" in errors:  # the harness called the command wrongly: not a finding
            raise RuntimeError(f"the fuzz harness's `stapkit {argv[0]}` command is wrong: {errors}")
        if "internal error" in errors or "Traceback" in errors:
            first = next((line for line in errors.splitlines() if "internal error" in line), errors[:300])
            kind = "memory" if "MemoryError" in first else "traceback"
            return Failure(kind, stage, first[:500], stapkit_frames(errors)), out.getvalue()
        return None, out.getvalue()


def _tokens(data: bytes) -> list[tuple[str, str]]:
    from stapkit.syntax.lexer import lex

    return [(t.kind, t.text) for t in lex(data.decode("utf-8", errors="replace"), version=(99,)).tokens]
