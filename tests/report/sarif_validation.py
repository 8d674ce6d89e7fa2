"""Validating SARIF logs against the official SARIF 2.1.0 schema (tests/report/data/)."""

from __future__ import annotations

import json
import re

import jsonschema

from .findings import DATA

SCHEMA_FILE = DATA / "sarif-schema-2.1.0.json"
# The file as OASIS publishes it (tests/report/data/README.md): it must not be modified.
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"

# RFC 3986: the characters a URI may hold, and a '%' only before two hex digits.
URI_CHARACTERS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")


def load_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def assert_valid(validator: jsonschema.Draft4Validator, log: dict) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]
    assert not errors, errors[:5]
    # The schema says "format": "uri" / "uri-reference", which jsonschema checks
    # only with optional packages: check the URIs here.
    for uri in _values(log, "uri"):
        assert URI_CHARACTERS.fullmatch(uri), uri


def _values(value, key):
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key and isinstance(v, str):
                yield v
            else:
                yield from _values(v, key)
    elif isinstance(value, list):
        for v in value:
            yield from _values(v, key)
