"""The semantic model: scopes, symbols and types of a script (and of the tapset library)."""
