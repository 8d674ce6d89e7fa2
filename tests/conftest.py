"""Test session set-up."""

import sys

from stapkit.syntax.ast import RECURSION_ROOM

# stapkit raises the recursion limit the first time it walks a tree; doing it
# once here keeps hypothesis from warning that a test changed it.
sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_ROOM))


import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _private_result_cache(tmp_path_factory):
    """Tests never read or fill the user's lint cache."""
    import os

    directory = tmp_path_factory.mktemp("stapkit-cache")
    previous = os.environ.get("STAPKIT_CACHE_DIR")
    os.environ["STAPKIT_CACHE_DIR"] = str(directory)
    yield
    if previous is None:
        os.environ.pop("STAPKIT_CACHE_DIR", None)
    else:
        os.environ["STAPKIT_CACHE_DIR"] = previous
