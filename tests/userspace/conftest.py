"""The programs the user-space tests build (programs.py), built once per test session."""

import pytest

from .programs import Programs, build


@pytest.fixture(scope="session")
def programs(tmp_path_factory) -> Programs:
    return build(tmp_path_factory.mktemp("programs"))
