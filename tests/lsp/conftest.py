"""The language server under a real client: `python -m stapkit.lsp` over stdio, driven by pytest-lsp.

`client` impersonates VS Code 1.65 (published diagnostics, UTF-16 positions);
`pull_client` Neovim 0.11 (pulled diagnostics, UTF-8 positions).  Both are
started once per test module: a server takes a second or two to start.
"""

from __future__ import annotations

import os
import sys

import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER = [sys.executable, "-m", "stapkit.lsp"]
ENV = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")


def _record_publish(client: LanguageClient, params: types.PublishDiagnosticsParams):
    client.diagnostics[params.uri] = params.diagnostics
    client.diagnostics_versions[params.uri] = params.version
    client.published.append(params)


def _register_capability(client: LanguageClient, params: types.RegistrationParams):
    client.registrations.extend(params.registrations)


def make_client() -> LanguageClient:
    """pytest-lsp's client, also keeping each publication with its document version, and registrations."""
    client = LanguageClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record_publish
    features[types.CLIENT_REGISTER_CAPABILITY] = _register_capability
    register_lsp_features(client, features)
    client.diagnostics_versions = {}
    client.published = []
    client.registrations = []
    return client


def config(env: dict | None = None) -> ClientServerConfig:
    return ClientServerConfig(server_command=SERVER, server_env=env or ENV, client_factory=make_client)


async def start(client: LanguageClient, spec: str = "visual-studio-code", root: str | None = None, options=None):
    params = types.InitializeParams(capabilities=pytest_lsp.client_capabilities(spec),
                                    root_uri=f"file://{root}" if root else None,
                                    initialization_options=options)
    return await client.initialize_session(params)


@pytest_lsp.fixture(config=config(), scope="module")
async def client(lsp_client: LanguageClient):
    await start(lsp_client, "visual-studio-code")
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=config(), scope="module")
async def pull_client(lsp_client: LanguageClient):
    await start(lsp_client, "neovim@v0.11.0")
    yield
    await lsp_client.shutdown_session()


def pytest_configure(config):
    config.addinivalue_line("markers", "soak: a long run of the language server (tests/lsp/test_soak.py, ~30 s)")
