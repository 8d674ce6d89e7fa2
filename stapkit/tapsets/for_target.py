"""Which items of the database exist for a target: the files stap reads, the conditions that hold.

stap reads the tapset files of the directories its search path gives for
the target (`linux/x86_64/`, `linux/`, `x86_64/`, the root, ...), and of
those only the branches whose `%( %)` conditions hold.  The database keeps
each condition as text; it is evaluated here by the preprocessor itself.
"""

from __future__ import annotations

from ..syntax.target import Target
from ..syntax.tapset_path import search_suffixes
from .model import Conjunction


class TargetView:
    """Answers "does this exist for the target?" for files and conditions."""

    def __init__(self, target: Target):
        self.target = target
        self.directories = set(search_suffixes(target))
        self._cache: dict[str, bool] = {}

    def reads(self, file: str) -> bool:
        """Does stap read this tapset file (relative to the root) for the target?"""
        directory = file.rsplit("/", 1)[0] if "/" in file else ""
        return directory in self.directories

    def exists(self, item) -> bool:
        """Is the item (alias, function, global) there for the target: its file read, its conditions true?"""
        return self.reads(item.where.file) and self.holds(item.conditions)

    def public(self, function) -> bool:
        """Can a script call the library function? (`@__private30` ones are public before 3.0.)"""
        if not function.private:
            return True
        since = getattr(function, "private_since", None)
        if since is None:
            return False
        from ..syntax.target import parse_version

        return parse_version(self.target.systemtap_v) < parse_version(since)

    def holds(self, conditions: Conjunction) -> bool:
        return all(self.condition(text) for text in conditions)

    def holds_any(self, clauses: tuple[Conjunction, ...]) -> bool:
        return not clauses or any(self.holds(c) for c in clauses)

    def condition(self, text: str) -> bool:
        known = self._cache.get(text)
        if known is None:
            known = self._cache[text] = self._evaluate(text)
        return known

    def _evaluate(self, text: str) -> bool:
        if text.startswith("!(") and text.endswith(")"):
            return not self.condition(text[2:-1])
        from ..syntax.lexer import lex
        from ..syntax.preprocessor import preprocess

        tokens = lex(f"%( {text} %? 1 %: 0 %)", version=(99,)).tokens
        result = preprocess(tokens, target=self.target, library_macros={}, argc=0, path=None)
        return bool(result.tokens) and result.tokens[0].text == "1"
