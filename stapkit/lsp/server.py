"""The language server: documents, checking in the background, and one short handler per request.

Threads.  pygls reads and answers messages on an asyncio loop; nothing that
parses or checks runs there.  Worker threads do:

- the *check* threads (CHECK_THREADS) parse, check and lint document
  versions, one version of a document at a time, publish its diagnostics as
  soon as they exist, then compute what the features read of it (the checked
  unit, the symbols, the inferred types) so that no feature computes them
  later on another thread.  The library keeps no mutable state at module
  level, and what threads share (the settings' Session: the database, the
  probe resolvers) is made once under a lock, so documents are checked side
  by side: a long check of one file does not hold up the others
  (tests/lsp/test_concurrent_checks.py).  Each check of a document reuses the
  parse of the declarations the last one read and the edit left alone
  (syntax/reuse.py; one DeclarationReuse per document, on the Document).
- the *reader* thread runs the features (hover, definition, ...) on finished
  analyses, so a long check never holds up a request.

Checking.  Each change schedules the document's check; at most one runs per
document, always on the newest text, so a version is analysed once.  A result
that arrives after a newer change (or a settings change) is dropped, never
published: the check runs again on the newest text.  Requests that need the
tree of the current text (definition, references, ...) wait for that check;
hover and completion answer from the last finished analysis when the text
around the cursor is unchanged since (documents.TextChange), so typing in a
large or pathological document does not slow them down.  Diagnostics are
pulled (textDocument/diagnostic) by clients that can, and published to the
others.

Failures.  An exception in a feature is logged (stderr or --log-file) and
answered with an empty result; the server keeps serving.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcParseError
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from .. import __version__
from ..gcpause import collector_paused
from .convert import FIX_ALL_KIND, check_failed
from .documents import UTF16, Document
from .features import REQUEST_FAILED

logger = logging.getLogger("stapkit.lsp")

SWITCH_INTERVAL = 0.0005  # seconds (see serve)
CHECK_THREADS = 2  # see the module's docstring (more threads than cores only share the same cores)
WAIT_FOR_CHECK = 20.0  # seconds a request waits for the current text's check before answering empty
PUBLISH_WAIT = 1.0  # seconds a check thread waits for the event loop to publish its diagnostics (see _check)
CONFIG_FILE_NAMES = ("stapkit.toml", ".stapkit.toml", "pyproject.toml")
USAGE_ERROR = 2  # the exit status of a bad option, as every stapkit command's (cli/exit_codes.py)
_ANSWERED = object()  # what a request already answered with an error decodes to (see StapkitProtocol)


class StapkitProtocol(LanguageServerProtocol):
    """pygls's protocol, with the documents' text kept by the server (see documents.py), and two repairs.

    Bookkeeping: pygls files the future of every handler it runs under the message's id until
    the answer is sent.  A notification has no answer, so the futures of asynchronous (and
    generator) notification handlers were never removed: about 2 kB per keystroke.  Here a
    notification's future leaves the table when it is done, and the document notifications call
    their handler directly (pygls's own are generators that update its workspace first).

    Invalid parameters: pygls turns a request's params into its lsprotocol type while decoding the
    JSON, and a request whose params do not fit (`textDocument/hover` with `null`) was logged and
    dropped.  JSON-RPC requires an answer: it gets an InvalidParams error.
    """

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params):
        self._notify_feature(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params):
        self._notify_feature(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params):
        self._notify_feature(types.TEXT_DOCUMENT_DID_CLOSE, params)

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args):
        # pygls's, but over a copy of the table: cancelling a notification's future removes it.
        if (handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield handler, args, None
        current_id = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True

    def _notify_feature(self, method: str, params) -> None:
        if (handler := self.fm.features.get(method)) is not None:
            handler(params)  # the server's handlers of these are synchronous and guarded

    def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None):
        if callback == self._check_handler_result:  # a notification's: nothing else removes its future
            callback = functools.partial(self._notification_done, msg_id=msg_id)
        super()._execute_handler(msg_id, handler, callback, args, kwargs)

    def _notification_done(self, future, *, msg_id) -> None:
        self._request_futures.pop(msg_id, None)
        self._check_handler_result(future)

    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except JsonRpcException as err:
            if isinstance(data, dict) and "method" in data and "id" in data and "jsonrpc" in data:
                logger.warning("invalid params for %r (request %r): answered with an error",
                               data.get("method"), data.get("id"))
                self._send_response(data["id"], None, err.to_response_error())
                return _ANSWERED
            raise

    def handle_message(self, message):
        if message is _ANSWERED:
            return
        super().handle_message(message)


class StapkitServer(LanguageServer):
    def __init__(self):
        super().__init__("stapkit", __version__, protocol_cls=StapkitProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        from .settings import Settings

        self.documents: dict[str, Document] = {}
        self.analyses: dict = {}  # uri -> the Analysis of its current text (or of an older one, until checked)
        self.failures: dict[str, tuple[int, str]] = {}  # uri -> (version, text) whose check raised
        self.tasks: dict[str, asyncio.Task] = {}
        self.published: dict = {}  # uri -> the Snapshot whose diagnostics are out (its analysis may be in preparation)
        self.settings = Settings(warn=self.warn)
        self.checker = ThreadPoolExecutor(max_workers=CHECK_THREADS, thread_name_prefix="stapkit-check")
        self.reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stapkit-read")
        self.encoding = UTF16
        self.pull_diagnostics = False
        self.refresh_support = False
        self.markdown = True
        self.snippets = False
        self.edit_range_default = False
        self.hierarchical_symbols = True
        self.configuration_support = False
        self.watch_files = False
        self._index: asyncio.Future | None = None
        self._index_key = None

    # -- plumbing ---------------------------------------------------------

    def report_server_error(self, error: Exception, source) -> None:
        # A message that is not JSON (or not UTF-8) gets JSON-RPC's answer: a Parse error with a null id.
        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
            logger.warning("a message that is not JSON: %s", error)
            self.protocol._send_response(None, None, JsonRpcParseError().to_response_error())
            return
        super().report_server_error(error, source)

    def warn(self, message: str) -> None:
        logger.warning(message)
        try:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, message))
        except Exception:  # no client yet (tests of the settings alone)
            pass

    async def on_reader(self, function, *args):
        """Run a feature (library code reading a finished analysis) on the reader thread."""
        return await asyncio.get_running_loop().run_in_executor(self.reader, function, *args)

    def path_of(self, uri: str) -> str | None:
        if not uri.startswith("file:"):
            return None
        from pygls.uris import to_fs_path

        return to_fs_path(uri)

    def options_for(self, document: Document):
        return self.settings.options_for(self.path_of(document.uri))

    # -- checking -------------------------------------------------------------

    def is_current(self, analysis, document: Document) -> bool:
        return (analysis is not None and analysis.version == document.version
                and analysis.text is document.text and analysis.options == self.options_for(document))

    def schedule(self, uri: str) -> asyncio.Task | None:
        task = self.tasks.get(uri)
        if task is None or task.done():
            if uri not in self.documents:
                return None
            task = self.tasks[uri] = asyncio.ensure_future(self._keep_current(uri))
        return task

    async def _keep_current(self, uri: str) -> None:
        """Check the document until a check of its newest text (and settings) is done; publish that one."""
        loop = asyncio.get_running_loop()
        while True:
            document = self.documents.get(uri)
            if document is None:
                return
            snapshot = document.snapshot
            if self.is_current(self.analyses.get(uri), document) or self.failures.get(uri) == snapshot:
                return
            delay = self.settings.client.diagnostics_delay
            if delay:
                await asyncio.sleep(delay)
                if document.snapshot is not snapshot:
                    continue
            options = self.options_for(document)
            path = self.path_of(uri)

            def still_wanted() -> bool:  # (on the loop)
                return (self.documents.get(uri) is document and document.snapshot is snapshot
                        and options == self.options_for(document))

            def checked(analysis, done: threading.Event) -> None:  # (on the loop) publish before the features' part
                try:
                    if still_wanted():
                        self.published[uri] = snapshot
                        self._publish(uri, snapshot.version, analysis.lsp_diagnostics)
                finally:
                    done.set()

            def publish(analysis) -> None:  # (on the check thread) returns once the loop has published
                done = threading.Event()
                loop.call_soon_threadsafe(checked, analysis, done)
                done.wait(PUBLISH_WAIT)

            try:
                analysis = await loop.run_in_executor(
                    self.checker, _check, uri, path or uri, snapshot, options, document.encoding,
                    publish,
                    lambda: document.snapshot is not snapshot,  # (one attribute read: safe off the loop)
                    document.reuse_for(options))
            except Exception as err:
                logger.exception("checking %s failed", uri)
                analysis = None
                failure = err
            if not still_wanted():
                continue  # stale: a newer text or settings came meanwhile; never published
            if analysis is None:
                self.failures[uri] = snapshot
                self.analyses.pop(uri, None)
                self._publish(uri, snapshot.version, [check_failed(failure)])
                return
            self.failures.pop(uri, None)
            self.analyses[uri] = analysis
            return

    async def latest(self, uri: str):
        """The last finished analysis of the document, for completion and signature help.

        When the diagnostics of the current text are out but its analysis is not stored yet (the
        check thread prepares it for the features right after publishing), wait for that short
        step, so that what completion offers agrees with what the editor shows: otherwise an older
        analysis would answer for a text whose diagnostics the editor already has (under load the
        step can take a while).  Otherwise never wait: the older analysis answers while typing.
        """
        document = self.documents.get(uri)
        if (document is not None and self.published.get(uri) is document.snapshot
                and not self.is_current(self.analyses.get(uri), document)):
            task = self.tasks.get(uri)
            if task is not None and not task.done():
                try:
                    await asyncio.wait_for(asyncio.shield(task), WAIT_FOR_CHECK)
                except asyncio.TimeoutError:
                    pass
        return self.analyses.get(uri)

    def _publish(self, uri: str, version: int, diagnostics: list) -> None:
        if not self.pull_diagnostics:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))

    async def current(self, uri: str):
        """The analysis of the document's current text, once it is checked (None if it cannot be)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_FOR_CHECK
        while True:
            document = self.documents.get(uri)
            if document is None:
                return None
            analysis = self.analyses.get(uri)
            if self.is_current(analysis, document):
                return analysis
            if self.failures.get(uri) == document.snapshot:
                return None
            task = self.schedule(uri)
            remaining = deadline - loop.time()
            if task is None or remaining <= 0:
                return None
            try:
                await asyncio.wait_for(asyncio.shield(task), remaining)
            except asyncio.TimeoutError:
                return None

    def recheck_all(self) -> None:
        for uri in list(self.documents):
            self.schedule(uri)
        if self.pull_diagnostics and self.refresh_support:
            self.workspace_diagnostic_refresh(None)

    async def library_index(self):
        """(the tapset index for completion, its database, its TargetView), built on the reader thread.

        Built once, and again when the settings change the database or the target.
        """
        check = self.settings.options_for(None).lint.check
        key = (check.db_path, check.parse.target)
        if self._index is None or key != self._index_key:
            self._index_key = key
            self._index = asyncio.ensure_future(self.on_reader(_build_index, check.session, check.db_path,
                                                                 check.parse.target))
        return await asyncio.shield(self._index)


def _check(uri, path, snapshot, options, encoding, on_checked=None, superseded=lambda: False, reuse=None):
    """Analyse one version (on the check thread); `on_checked(analysis)` as soon as its diagnostics exist
    (the server's callback publishes them, and returns once they are written).

    The features' part is not prepared for a version already superseded (it will never be used).
    `reuse`: the document's syntax.reuse.DeclarationReuse (one check of a document runs at a time).
    """
    from .analysis import analyze
    from .convert import to_lsp_diagnostic

    start = time.perf_counter()
    # The cyclic collector waits until the diagnostics are out: a check makes a few hundred thousand
    # objects, and the first collection after it (of all of them) took 5 to 20 ms between the check
    # and its diagnostics.  (lint_text pauses it for the check alone; gcpause.py.)
    with collector_paused():
        analysis = analyze(uri, path, snapshot.version, snapshot.text, options, encoding, reuse)
        analysis.lsp_diagnostics = [to_lsp_diagnostic(d, uri, analysis.positions) for d in analysis.diagnostics]
        checked = time.perf_counter()
        if on_checked is not None:
            on_checked(analysis)
    if reuse is not None:
        reuse.release()  # (trees no check will reuse: freed now that the diagnostics are out)
    try:
        analysis.prepare(stop=superseded)
    except Exception:  # the diagnostics stand; a feature that needs the part that failed answers empty
        logger.exception("preparing %s version %d for the features failed", uri, snapshot.version)
    logger.info("checked %s version %d in %.0f ms (%d diagnostics; %s), prepared for the features in %.0f ms",
                uri, snapshot.version, (checked - start) * 1000, len(analysis.lsp_diagnostics),
                f"{reuse.reused} declarations reused, {reuse.parsed} parsed" if reuse is not None else "parsed whole",
                (time.perf_counter() - checked) * 1000)
    return analysis


def _build_index(session, db_path, target):
    from ..tapsets.for_target import TargetView
    from ..tapsets.probe_families import families
    from .library import library_index

    families()  # the table completion reads first
    db = session.db(db_path, target.systemtap_v)
    view = TargetView(target)
    return library_index(db, view), db, view


def _refusals_are_not_errors(record: logging.LogRecord) -> bool:
    """pygls logs every error answer with its traceback; a refused rename is an answer, not a failure."""
    error = record.exc_info[1] if record.exc_info else None
    return not (isinstance(error, JsonRpcException) and error.code == REQUEST_FAILED)


def guarded(empty=None):
    """Log a feature's exception and answer `empty` instead: one bad request never stops the server.

    Errors meant for the client (a refused rename) pass through.
    """
    def decorate(function):
        if asyncio.iscoroutinefunction(function):
            @functools.wraps(function)
            async def run_async(ls, params):
                try:
                    return await function(ls, params)
                except JsonRpcException:
                    raise
                except Exception:
                    logger.exception("%s failed", function.__name__)
                    return empty() if callable(empty) else empty
            return run_async

        @functools.wraps(function)
        def run(ls, params):
            try:
                return function(ls, params)
            except JsonRpcException:
                raise
            except Exception:
                logger.exception("%s failed", function.__name__)
                return empty() if callable(empty) else empty
        return run
    return decorate


def create_server() -> StapkitServer:  # noqa: C901 - one short handler per LSP method
    server = StapkitServer()
    from . import features

    # -- life cycle and settings ----------------------------------------------

    @server.feature(types.INITIALIZE)
    @guarded()
    def initialize(ls: StapkitServer, params: types.InitializeParams):
        features.initialize(ls, params)

    @server.feature(types.INITIALIZED)
    @guarded()
    async def initialized(ls: StapkitServer, params: types.InitializedParams):
        await features.initialized(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded()
    async def did_change_configuration(ls: StapkitServer, params: types.DidChangeConfigurationParams):
        await features.change_configuration(ls, params.settings)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded()
    def did_change_watched_files(ls: StapkitServer, params: types.DidChangeWatchedFilesParams):
        if any(change.uri.rsplit("/", 1)[-1] in CONFIG_FILE_NAMES for change in params.changes):
            ls.settings.changed()
            ls.recheck_all()

    # -- documents --------------------------------------------------------------

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded()
    def did_open(ls: StapkitServer, params: types.DidOpenTextDocumentParams):
        item = params.text_document
        ls.documents[item.uri] = Document(item.uri, item.text, item.version, item.language_id, ls.encoding)
        ls.schedule(item.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded()
    def did_change(ls: StapkitServer, params: types.DidChangeTextDocumentParams):
        document = ls.documents.get(params.text_document.uri)
        if document is not None:
            document.apply(params.content_changes, params.text_document.version)
            ls.schedule(document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    @guarded()
    def did_save(ls: StapkitServer, params: types.DidSaveTextDocumentParams):
        ls.settings.changed()  # a configuration file may have changed too: read them again
        ls.recheck_all()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded()
    def did_close(ls: StapkitServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        ls.documents.pop(uri, None)
        ls.analyses.pop(uri, None)
        ls.published.pop(uri, None)
        ls.failures.pop(uri, None)
        ls._publish(uri, 0, [])

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC,
                    types.DiagnosticOptions(identifier="stapkit", inter_file_dependencies=False,
                                            workspace_diagnostics=False))
    @guarded()
    async def diagnostic(ls: StapkitServer, params: types.DocumentDiagnosticParams):
        return await features.pull_diagnostics(ls, params)

    # -- features -----------------------------------------------------------------

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded()
    async def hover(ls: StapkitServer, params: types.HoverParams):
        return await features.hover_request(ls, params)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(
        trigger_characters=[".", "@", "$", "%", '"', "*"], resolve_provider=True))
    @guarded()
    async def completion(ls: StapkitServer, params: types.CompletionParams):
        return await features.completion(ls, params)

    @server.feature(types.COMPLETION_ITEM_RESOLVE)
    @guarded(lambda: None)
    async def completion_resolve(ls: StapkitServer, item: types.CompletionItem):
        return await features.resolve_completion(ls, item)

    @server.feature(types.TEXT_DOCUMENT_SIGNATURE_HELP, types.SignatureHelpOptions(
        trigger_characters=["(", ","], retrigger_characters=[","]))
    @guarded()
    async def signature_help(ls: StapkitServer, params: types.SignatureHelpParams):
        return await features.signature_help(ls, params)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @guarded()
    async def definition(ls: StapkitServer, params: types.DefinitionParams):
        return await features.with_analysis(ls, params, features.definition)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @guarded()
    async def references(ls: StapkitServer, params: types.ReferenceParams):
        return await features.with_analysis(ls, params, features.references)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    @guarded()
    async def highlight(ls: StapkitServer, params: types.DocumentHighlightParams):
        return await features.with_analysis(ls, params, features.highlights)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded()
    async def document_symbol(ls: StapkitServer, params: types.DocumentSymbolParams):
        return await features.with_analysis(ls, params, features.document_symbols)

    @server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    @guarded()
    async def folding_range(ls: StapkitServer, params: types.FoldingRangeParams):
        return await features.with_analysis(ls, params, features.folding_ranges)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    @guarded()
    async def formatting(ls: StapkitServer, params: types.DocumentFormattingParams):
        return await features.with_analysis(ls, params, features.formatting)

    @server.feature(types.TEXT_DOCUMENT_RANGE_FORMATTING)
    @guarded()
    async def range_formatting(ls: StapkitServer, params: types.DocumentRangeFormattingParams):
        return await features.with_analysis(ls, params, features.formatting)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[
        types.CodeActionKind.QuickFix, FIX_ALL_KIND]))
    @guarded()
    async def code_action(ls: StapkitServer, params: types.CodeActionParams):
        return await features.with_analysis(ls, params, features.code_actions)

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    @guarded()
    async def prepare_rename(ls: StapkitServer, params: types.PrepareRenameParams):
        return await features.with_analysis(ls, params, features.prepare_rename)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    @guarded()
    async def rename(ls: StapkitServer, params: types.RenameParams):
        return await features.with_analysis(ls, params, features.rename)

    return server


def serve(log_file: Path | None = None, log_level: str = "warning") -> int:
    """Run the server on stdin/stdout until the client says exit; 0 if it asked for shutdown first.

    2 (a usage error, as the CLI's) if the log file cannot be written; said in one line on stderr.
    """
    try:
        handler: logging.Handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler()
    except OSError as err:
        print(f"stapkit: error: cannot write the log file {log_file}: {err.strerror or err}", file=sys.stderr)
        return USAGE_ERROR
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(getattr(logging, log_level.upper(), logging.WARNING))
    # pygls logs every message it sends at INFO: only when asked for everything.
    logging.getLogger("pygls").setLevel(logging.DEBUG if log_level == "debug" else logging.WARNING)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_refusals_are_not_errors)
    # Checks run on the check thread; answering (completion while typing) on the event loop.
    # Python hands the interpreter from one thread to another every "switch interval" (5 ms by
    # default); each message read, written or awaited makes the event loop wait for it once
    # more, so with a check running a completion took several intervals.  A shorter one
    # costs the check a little.
    sys.setswitchinterval(SWITCH_INTERVAL)
    server = create_server()
    server.start_io()
    return 0 if server.protocol._shutdown else 1

