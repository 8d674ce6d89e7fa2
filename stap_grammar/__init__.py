"""The SystemTap grammar for Lark: stap.lark (loaded by stapkit.syntax.grammar)."""
