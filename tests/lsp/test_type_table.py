"""The editor's type table (hover, completion) is taken from the check's own inference when that one
left nothing out; it is then what inferring again gives (type_check.types).
"""

from __future__ import annotations

from stapkit.lint.runner import lint_text
from stapkit.semantic.type_check import types

from .test_incremental import corpus


def test_the_checks_inference_is_reused_only_where_inferring_again_gives_the_same_table():
    reused = 0
    for name, text in corpus():
        unit = lint_text(text, name).checked.unit
        if unit is None:
            continue
        if unit.model.types is not None:
            reused += 1
        assert types(unit) == types(unit, fresh=True), name
    assert reused > 100  # most scripts: the optimizer leaves nothing out of them


def test_code_the_optimizer_removes_is_typed_for_the_editor():
    """`x` is only assigned (a dead local: stap's optimizer drops the write), and the editor still shows it."""
    unit = lint_text('probe begin { x = "text"; exit() }', "t.stp").checked.unit
    assert unit.model.types is None  # the check's inference left the write out
    table = types(unit)
    probe = unit.script.items[0]
    assert table.locals[id(probe)]["x"].type == "string"
