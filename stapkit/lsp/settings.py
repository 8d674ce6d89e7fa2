"""How each document is checked: the configuration files of the workspace, and the client's settings.

The files are the CLI's (`stapkit.toml`, `.stapkit.toml`, `[tool.stapkit]` in
`pyproject.toml`, the closest one above the document), so an editor reports
what `stapkit lint` reports.  The client may send settings too, in
`initializationOptions` or `workspace/didChangeConfiguration` (under the key
`stapkit`), with the same keys as the file (kebab-case or camelCase), and a few
of its own:

    configuration             a configuration file to use for every document (like --config)
    configurationPreference   "editorFirst" (default): the client's settings win over the file's;
                              "filesystemFirst": the file's win; "editorOnly": no file is read
    db                        the tapset database (like --db)
    args                      the scripts' command-line arguments ($1, @1, ...; like --arg)
    diagnosticsDelay          milliseconds to wait after a change before checking (default 0)
    kernelBtf, kernelSymbols  the configuration's kernel-btf and kernel-symbols (docs/kernel.md)
    sysroot                   the configuration's sysroot: where process(...) programs are (docs/userspace.md)
    path                      not read here: editor extensions keep the command's path under it

A bad setting is reported to the user (window/showMessage) and the client's
settings are then ignored until they change; a bad configuration file is
reported the same way and the document is checked as if it had none.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable

import attrs

from ..config import Config, ConfigError, find_config, load_config

EDITOR_FIRST = "editorFirst"
FILESYSTEM_FIRST = "filesystemFirst"
EDITOR_ONLY = "editorOnly"
PREFERENCES = (EDITOR_FIRST, FILESYSTEM_FIRST, EDITOR_ONLY)

# The client's own keys (camelCase as clients write them); every other key is a configuration key.
_CLIENT_KEYS = {"configuration", "configurationPreference", "db", "args", "diagnosticsDelay", "path"}
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
# Where client settings' relative directories count from when there is no workspace.
_NO_ROOT = Path.cwd()


class SettingsError(ValueError):
    """A client setting that cannot be used; the message names it."""


@attrs.frozen
class ClientSettings:
    """The client's settings, checked."""

    config: Config | None = None  # the configuration keys, as a configuration file would give them
    configuration: Path | None = None
    preference: str = EDITOR_FIRST
    db: Path | None = None
    args: tuple[str, ...] | None = None
    diagnostics_delay: float = 0.0  # seconds


def client_settings(raw: Any, root: Path | None) -> ClientSettings:
    """Check the client's `stapkit` settings (a JSON object).  Raises SettingsError."""
    if raw is None:
        return ClientSettings()
    if not isinstance(raw, dict):
        raise SettingsError("the stapkit settings must be an object")
    base = root or _NO_ROOT
    values: dict[str, Any] = {}
    table: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _CLIENT_KEYS:
            values[key] = value
        elif value is not None:  # clients send null for a setting left unset
            table[_kebab(key)] = _kebab_keys(value) if key in ("target", "format") else value
    out: dict[str, Any] = {}
    if "configuration" in values and values["configuration"]:
        if not isinstance(values["configuration"], str):
            raise SettingsError("stapkit.configuration must be the path of a configuration file")
        out["configuration"] = base / os.path.expanduser(values["configuration"])
    preference = values.get("configurationPreference") or EDITOR_FIRST
    if preference not in PREFERENCES:
        raise SettingsError(f"stapkit.configurationPreference must be one of {', '.join(PREFERENCES)}")
    out["preference"] = preference
    if values.get("db"):
        if not isinstance(values["db"], str):
            raise SettingsError("stapkit.db must be the path of a tapset database")
        out["db"] = base / os.path.expanduser(values["db"])
    if values.get("args") is not None:
        args = values["args"]
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise SettingsError("stapkit.args must be a list of strings")
        out["args"] = tuple(args)
    if values.get("diagnosticsDelay") is not None:
        delay = values["diagnosticsDelay"]
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 10000:
            raise SettingsError("stapkit.diagnosticsDelay must be a number of milliseconds from 0 to 10000")
        out["diagnostics_delay"] = delay / 1000
    if table:
        out["config"] = _config_from_table(table, base)
    return ClientSettings(**out)


def _kebab(key: str) -> str:
    return _CAMEL.sub(lambda m: "-" + m.group(1).lower(), key)


def _kebab_keys(value):
    if isinstance(value, dict):
        # kernel-config's keys are CONFIG_ names: leave those alone.
        return {(k if k.startswith("CONFIG_") else _kebab(k)): _kebab_keys(v) for k, v in value.items()}
    return value


def _config_from_table(table: dict, base: Path) -> Config:
    # The configuration file's checks, on the client's table: the same keys, the same
    # messages (which name the key).  `config_from_table` takes the file whose directory relative
    # paths count from; for the client that is the workspace root.
    from ..config import config_from_table

    try:
        return config_from_table(base / "(editor settings)", table, "stapkit.")
    except ConfigError as err:
        raise SettingsError(str(err).replace(f"{base / '(editor settings)'}: ", "")) from None


# ---------------------------------------------------------------- per document


@attrs.frozen
class DocumentOptions:
    """Everything that decides how one document is checked and formatted."""

    lint: object  # lint.runner.LintOptions
    indent: str | None  # one level, from the configuration; None: from the client's formatting options
    line_length: int | None
    config_path: Path | None  # the configuration file that applied, if any
    brace_style: str | None = None  # [format] brace-style (or the client's stapkit.format.braceStyle)


class Settings:
    """The client's settings and the configuration files, with what was read of them cached."""

    def __init__(self, root: Path | None = None, warn: Callable[[str], None] = lambda message: None):
        self.root = root
        self.client = ClientSettings()
        self._warn = warn
        self._configs: dict[Path, Config | None] = {}
        self._found: dict[Path, Path | None] = {}
        self._options: dict[str | None, DocumentOptions] = {}
        self._warned: set[str] = set()
        from ..semantic.session import Session

        self.session = Session()  # the database and probe resolver, for every document

    def set_client(self, raw: Any) -> None:
        try:
            self.client = client_settings(raw, self.root)
        except SettingsError as err:
            self.client = ClientSettings()
            self._warn_once(f"stapkit: {err}; the editor's stapkit settings are ignored")
        self.changed()

    def changed(self) -> None:
        """A configuration file or a client setting may have changed: forget what was read.

        Documents whose options come out the same are not checked again (the
        server compares each analysis's options with the document's).
        """
        self._configs.clear()
        self._found.clear()
        self._options.clear()
        self._warned.clear()

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self._warn(message)

    def _load(self, path: Path) -> Config | None:
        if path not in self._configs:
            try:
                self._configs[path] = load_config(path)
            except ConfigError as err:
                self._configs[path] = None
                self._warn_once(f"stapkit: {err}")
        return self._configs[path]

    def file_config(self, path: str | None) -> Config | None:
        client = self.client
        if client.configuration is not None:
            return self._load(client.configuration)
        if client.preference == EDITOR_ONLY:
            return None
        where = Path(path).parent if path else self.root
        if where is None:
            return None
        if where not in self._found:
            try:
                self._found[where] = find_config(where)
            except OSError:
                self._found[where] = None
        found = self._found[where]
        return self._load(found) if found is not None else None

    def options_for(self, path: str | None) -> DocumentOptions:
        """The options of a document (`path` None for an unsaved one)."""
        options = self._options.get(path)
        if options is None:
            options = self._options[path] = self._options_for(path)
        return options

    def _options_for(self, path: str | None) -> DocumentOptions:
        from ..lint.options import LintOptions
        from ..lint.selection import for_file
        from ..semantic.options import CheckOptions

        file_config = self.file_config(path)
        config = merge(file_config, self.client.config, self.client.preference)
        from ..settings import Overrides, file_options, resolve_parse_options

        try:
            parse = resolve_parse_options(Overrides(args=self.client.args), config)
        except ValueError as err:
            self._warn_once(f"stapkit: {err}")
            parse = resolve_parse_options(Overrides(), None)
        parse = file_options(parse, path)
        selection = for_file(config, path)
        lint = LintOptions(CheckOptions(parse=parse, db_path=self.client.db, kernel=self._kernel(config),
                                        session=self.session, sysroot=self._sysroot(config)), selection)
        return DocumentOptions(lint, config.format_indent if config else None,
                               config.format_line_length if config else None,
                               file_config.path if file_config is not None else None,
                               config.format_brace_style if config else None)


    def _sysroot(self, config: Config | None) -> str | None:
        """The configuration's (or the client's) sysroot, for process(...) programs (docs/userspace.md)."""
        from ..settings import Overrides, resolve_sysroot

        try:
            return resolve_sysroot(Overrides(), config)
        except ValueError as err:
            self._warn_once(f"stapkit: {err}; process(...) programs are looked for under /")
            return None

    def _kernel(self, config: Config | None):
        """The kernel description named by `kernel-btf`/`kernel-symbols` (or the client's
        kernelBtf/kernelSymbols), read now so that a bad file is one message, not a failed check."""
        from ..kernel.loading import KernelLoadError, KernelSource

        if config is None:
            return KernelSource()
        source = KernelSource(btf=config.kernel_btf, symbols=config.kernel_symbols)
        try:
            self.session.kernel(source)  # kept for the checks; a damaged file fails here, once
        except KernelLoadError as err:
            self._warn_once(f"stapkit: {err}; kernel probes are checked without it")
            return KernelSource()
        return source


def merge(file: Config | None, client: Config | None, preference: str) -> Config | None:
    """One configuration from a file's and the client's: the preferred one's settings win, key by key."""
    if file is None or client is None:
        return file or client
    first, second = (client, file) if preference != FILESYSTEM_FIRST else (file, client)
    values = {}
    for field in attrs.fields(Config):
        if field.name == "path":
            values["path"] = file.path
            continue
        a, b = getattr(first, field.name), getattr(second, field.name)
        if field.name == "target":
            values["target"] = {**b, **a}
        else:
            values[field.name] = a if _is_set(a) else b
    return Config(**values)


def _is_set(value) -> bool:
    return value is not None and value != () and value != {}
