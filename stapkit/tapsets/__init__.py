"""The tapset database: what SystemTap's library offers, known offline.

Built-in probe families, probe aliases with their expansions and variables,
functions with signatures, globals and library macros of one SystemTap release,
read from the reference manuals and the tapset sources (`stapkit db build`) and
shipped for SystemTap 4.8 in `tapset_db/`.
"""
