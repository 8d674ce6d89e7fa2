"""Turning diagnostics into text for people and JSON for programs (one module per format)."""
