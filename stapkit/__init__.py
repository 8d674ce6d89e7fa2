"""stapkit: the toolkit for SystemTap scripts."""

__version__ = "0.1.0"
