"""The one type of error that is the user's to fix, not stapkit's.

A bad configuration file, a file that cannot be read or written, a bad option
value: each raises a UserError (or a subclass) whose message names the file
and says what is wrong.  The command line catches them in one place
(stapkit/cli/__init__.py) and prints `stapkit: error: MESSAGE` with exit
status 2; anything else that escapes is a bug in stapkit and is reported as one.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix: the message says what and where (a file name first)."""
