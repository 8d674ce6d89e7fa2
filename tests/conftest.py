"""Test session set-up."""

import sys

from stapkit.syntax.ast import RECURSION_ROOM

# stapkit raises the recursion limit the first time it walks a tree; doing it
# once here keeps hypothesis from warning that a test changed it.
sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_ROOM))
