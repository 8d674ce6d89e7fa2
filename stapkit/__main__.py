import sys

try:
    from .cli import entry_point
except KeyboardInterrupt:  # Ctrl-C while starting: the same one line as later
    sys.stderr.write("stapkit: interrupted\n")
    sys.exit(130)

entry_point()
