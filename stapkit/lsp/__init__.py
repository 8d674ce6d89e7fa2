"""The language server (`stapkit lsp`): a thin layer of LSP over the library.

server.py     pygls plumbing: documents, checks on a worker thread, one handler per request
features.py   request parameters in, LSP objects out
documents.py  open documents; offsets <-> LSP positions (UTF-16 by default)
settings.py   configuration files and the client's settings, per document
analysis.py   one checked version of a document (lint result, symbols, types, tokens)
convert.py    diagnostics and edits as LSP objects
context.py    what the cursor is in, from the tokens around it (completion, signature help)
library.py    the tapset library indexed for completion
lookup.py     the name at an offset and what it means (hover, navigation, rename)
hover.py, completion.py, signature_help.py, navigation.py, outline.py (symbols, folding),
formatting.py, code_actions.py, rename.py, describe.py (the Markdown they show)
"""
