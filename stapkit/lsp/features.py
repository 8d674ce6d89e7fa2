"""Between the handlers of server.py and the feature modules: positions in, LSP objects out.

Each function reads the request's parameters, runs the feature (on the
reader thread when it reads an analysis) and returns what the protocol
expects.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lsprotocol import types
from pygls.capabilities import ServerCapabilitiesBuilder
from pygls.exceptions import JsonRpcException

from .documents import UTF8, UTF16, UTF32

logger = logging.getLogger("stapkit.lsp")
REQUEST_FAILED = -32803  # LSP's RequestFailed: a valid request that cannot be done (a refused rename)

_ENCODINGS = {types.PositionEncodingKind.Utf8: UTF8, types.PositionEncodingKind.Utf16: UTF16,
              types.PositionEncodingKind.Utf32: UTF32}


# ---------------------------------------------------------------- life cycle and settings


def initialize(ls, params: types.InitializeParams) -> None:
    from pygls.uris import to_fs_path

    caps = params.capabilities
    ls.encoding = _ENCODINGS.get(ServerCapabilitiesBuilder.choose_position_encoding(caps), UTF16)
    text = caps.text_document
    ls.pull_diagnostics = text is not None and text.diagnostic is not None
    ls.refresh_support = bool(caps.workspace and caps.workspace.diagnostics
                              and caps.workspace.diagnostics.refresh_support)
    hover_formats = text.hover.content_format if text and text.hover else None
    ls.markdown = hover_formats is None or types.MarkupKind.Markdown in hover_formats
    completion = text.completion if text else None
    ls.snippets = bool(completion and completion.completion_item and completion.completion_item.snippet_support)
    ls.edit_range_default = bool(completion and completion.completion_list and completion.completion_list.item_defaults
                                 and "editRange" in completion.completion_list.item_defaults)
    ls.hierarchical_symbols = bool(text and text.document_symbol
                                   and text.document_symbol.hierarchical_document_symbol_support)
    ls.configuration_support = bool(caps.workspace and caps.workspace.configuration)
    ls.watch_files = bool(caps.workspace and caps.workspace.did_change_watched_files
                          and caps.workspace.did_change_watched_files.dynamic_registration)
    root = None
    if params.workspace_folders:
        root = params.workspace_folders[0].uri
    elif params.root_uri:
        root = params.root_uri
    if root and root.startswith("file:"):
        ls.settings.root = Path(to_fs_path(root))
    elif params.root_path:
        ls.settings.root = Path(params.root_path)
    options = params.initialization_options
    if isinstance(options, dict) and isinstance(options.get("stapkit"), dict):
        options = options["stapkit"]
    ls.settings.set_client(options)


async def initialized(ls) -> None:
    index = ls.library_index()  # build the tapset index now, before anyone needs it
    if ls.watch_files:
        watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}")
                    for name in ("stapkit.toml", ".stapkit.toml", "pyproject.toml")]
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[types.Registration(
                id="stapkit-configuration-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))
        except Exception as err:
            logger.warning("the client did not register the configuration files' watcher: %s", err)
    if ls.configuration_support:
        await _pull_configuration(ls)
    await index


async def _pull_configuration(ls) -> None:
    try:
        values = await ls.workspace_configuration_async(types.ConfigurationParams(
            items=[types.ConfigurationItem(section="stapkit")]))
    except Exception as err:
        logger.warning("the client did not send its configuration: %s", err)
        return
    value = values[0] if values else None
    if value is not None:
        ls.settings.set_client(value)
        ls.recheck_all()


async def change_configuration(ls, settings) -> None:
    if isinstance(settings, dict) and "stapkit" in settings:
        ls.settings.set_client(settings["stapkit"])
        ls.recheck_all()
    elif ls.configuration_support:
        await _pull_configuration(ls)
    else:
        ls.settings.changed()
        ls.recheck_all()


async def pull_diagnostics(ls, params: types.DocumentDiagnosticParams):
    analysis = await ls.current(params.text_document.uri)
    if analysis is None:
        document = ls.documents.get(params.text_document.uri)
        failed = document is not None and ls.failures.get(document.uri) == document.snapshot
        if failed:
            from .convert import check_failed

            return types.RelatedFullDocumentDiagnosticReport(items=[check_failed(RuntimeError("see the log"))])
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    result_id = f"{analysis.version}:{id(analysis)}"
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(items=analysis.lsp_diagnostics, result_id=result_id)


# ---------------------------------------------------------------- requests on the checked document


async def with_analysis(ls, params, feature):
    """Wait for the check of the document's current text, then run the feature on the reader thread."""
    analysis = await ls.current(params.text_document.uri)
    if analysis is None:
        return None
    return await ls.on_reader(feature, ls, analysis, params)


async def hover_request(ls, params: types.HoverParams):
    """Hover: from the last finished analysis if the cursor's line is unchanged since, else as with_analysis."""
    uri = params.text_document.uri
    document = ls.documents.get(uri)
    previous = ls.analyses.get(uri)
    if (document is not None and previous is not None and not ls.is_current(previous, document)
            and previous.options == ls.options_for(document)):
        from .documents import TextChange

        change = TextChange.between(previous.text, document.text)
        old = change.old_offset(document.text, document.positions.offset(params.position))
        if old is not None:
            ls.schedule(uri)
            return await ls.on_reader(_hover_moved, ls, previous, old, change, document.positions)
    return await with_analysis(ls, params, hover)


def _hover_moved(ls, analysis, offset: int, change, positions):
    """Hover in an older analysis, its range moved to the newest text."""
    from .hover import hover as hover_at

    found = hover_at(analysis, offset, ls.markdown)
    if found is not None and found.range is not None:
        span = change.new_span(analysis.positions.span(found.range))
        found.range = positions.range(span) if span is not None else None
    return found


def _offset(analysis, position: types.Position) -> int:
    return analysis.positions.offset(position)


def hover(ls, analysis, params: types.HoverParams):
    from .hover import hover as hover_at

    return hover_at(analysis, _offset(analysis, params.position), ls.markdown)


def definition(ls, analysis, params: types.DefinitionParams):
    from .navigation import definition as definition_at

    return definition_at(analysis, _offset(analysis, params.position)) or None


def references(ls, analysis, params: types.ReferenceParams):
    from .navigation import references as references_at

    return references_at(analysis, _offset(analysis, params.position), params.context.include_declaration)


def highlights(ls, analysis, params: types.DocumentHighlightParams):
    from .navigation import highlights as highlights_at

    return highlights_at(analysis, _offset(analysis, params.position)) or None


def document_symbols(ls, analysis, params):
    from .outline import document_symbols as symbols_of

    return symbols_of(analysis, getattr(ls, "hierarchical_symbols", True))


def folding_ranges(ls, analysis, params):
    from .outline import folding_ranges as ranges_of

    return ranges_of(analysis)


def formatting(ls, analysis, params):
    from .formatting import format_edits

    within = analysis.positions.span(params.range) if getattr(params, "range", None) is not None else None
    return format_edits(analysis, params.options, within)


def code_actions(ls, analysis, params: types.CodeActionParams):
    from .code_actions import code_actions as actions_in

    only = [str(k.value if hasattr(k, "value") else k) for k in params.context.only] if params.context.only else None
    return actions_in(analysis, analysis.positions.span(params.range), only)


def prepare_rename(ls, analysis, params: types.PrepareRenameParams):
    from .rename import RenameError, prepare

    try:
        span, name = prepare(analysis, _offset(analysis, params.position))
    except RenameError as err:
        raise JsonRpcException(str(err), code=REQUEST_FAILED) from None
    return types.PrepareRenamePlaceholder(range=analysis.positions.range(span), placeholder=name)


def rename(ls, analysis, params: types.RenameParams):
    from .rename import RenameError, rename as rename_at

    try:
        edits = rename_at(analysis, _offset(analysis, params.position), params.new_name)
    except RenameError as err:
        raise JsonRpcException(str(err), code=REQUEST_FAILED) from None
    text_edits = [types.TextEdit(range=analysis.positions.range(span), new_text=new) for span, new in edits]
    return types.WorkspaceEdit(changes={analysis.uri: text_edits})


# ---------------------------------------------------------------- while typing (on the event loop)


async def completion(ls, params: types.CompletionParams):
    from .completion import Completer

    document = ls.documents.get(params.text_document.uri)
    if document is None:
        return None
    index, db, view = await ls.library_index()
    analysis = await ls.latest(document.uri)
    offset = document.positions.offset(params.position)
    return Completer(document.text, offset, index, db, view, analysis, ls.snippets,
                     positions=document.positions, edit_range_default=ls.edit_range_default).run()


async def resolve_completion(ls, item: types.CompletionItem):
    from .completion import resolve

    _, db, view = await ls.library_index()
    return await ls.on_reader(resolve, item, db, view)


async def signature_help(ls, params: types.SignatureHelpParams):
    from .signature_help import signature_help as help_at

    document = ls.documents.get(params.text_document.uri)
    if document is None:
        return None
    index, db, view = await ls.library_index()
    analysis = await ls.latest(document.uri)
    offset = document.positions.offset(params.position)
    return help_at(document.text, offset, index, db, view, analysis)
