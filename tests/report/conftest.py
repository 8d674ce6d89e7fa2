import pytest

from .sarif_validation import load_validator


@pytest.fixture(scope="session")
def validator():
    """A validator of the official SARIF 2.1.0 schema."""
    return load_validator()
