"""Reading and writing the user's files: what is read is what is written back.

Reading.  Only a regular file (or standard input, "-") is ever opened: a FIFO
named like a script would block the read forever, and opening a device can
have effects of its own.  The file's type is checked before it is opened and
again, on the open descriptor, after (it could have been swapped in between);
the open uses O_NONBLOCK so that even then it cannot block.

Text.  stap reads bytes; stapkit works on text (columns count characters).
For a file that will be written back (`format`, `lint --fix`) the bytes are
decoded as UTF-8 with surrogate escapes: each byte that is not UTF-8 becomes
one lone surrogate (U+DC80..U+DCFF), the lexer takes it as any other
character inside a string or a comment and as an error outside them (as stap
does), and encoding the text back gives the very same byte.  `exact_text` and
`exact_bytes` are the pair.

Writing.  `write_file` writes through a symbolic link to the file it points
to (the link stays a link) and keeps the file's permission bits and, where
it can, its owner.  A file with one name is replaced atomically: a temporary
file beside it is written, flushed to disk and renamed over it, so a reader
or a crash sees the old file or the new one, never half of one.  A file with
more than one name (a hard link) must keep its inode, or its other names
would keep the old text, so it is overwritten in place, as vim
(backupcopy=auto), emacs (backup-by-copying-when-linked) and black do; the
new text is then complete on disk before the call returns, and if a write
fails (a full disk) the old bytes are written back, but a crash in the middle
of the write can leave a mix (docs/cli.md says so).  The same in-place write
is used when the directory does not let a temporary file be made or the
owner cannot be kept, as vim does.
"""

from __future__ import annotations

import errno
import os
import stat

from .errors import UserError


class FileError(UserError):
    """A file that cannot be read or written; `reason` says why (no file name in it)."""

    def __init__(self, path: str, action: str, reason: str):
        super().__init__(f"cannot {action} '{path}': {reason}")
        self.path = path
        self.reason = reason


class FileTooLarge(FileError):
    def __init__(self, path: str, size: int, limit: int):
        super().__init__(path, "read", f"it is too large ({size} bytes; the limit is {limit})")
        self.size = size
        self.limit = limit


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, for a message."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def read_bytes(path: str, max_size: int) -> bytes:
    """The bytes of the regular file `path` (links followed).  Raises FileError (FileTooLarge)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise FileError(path, "read", f"it is {file_kind(st.st_mode)}, not a regular file")
        if st.st_size > max_size:
            raise FileTooLarge(path, st.st_size, max_size)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise FileError(path, "read", err.strerror or str(err)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped after the stat above
            raise FileError(path, "read", f"it is {file_kind(st.st_mode)}, not a regular file")
        chunks = []
        size = 0
        while size <= max_size:  # bounded: a file that grows while it is read stops at the limit
            chunk = os.read(fd, max_size + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        raise FileError(path, "read", err.strerror or str(err)) from None
    finally:
        os.close(fd)
    if size > max_size:
        raise FileTooLarge(path, size, max_size)
    return b"".join(chunks)


def list_files(root: str, suffixes: tuple[str, ...], max_files: int = 100_000) -> tuple[list[str], list[tuple[str, str]]]:
    """The files under the directory `root` whose names end with one of `suffixes`: the
    regular ones (links followed), as sorted paths relative to `root` with "/" between
    their parts, and the others as (relative path, why it is not read: "it is a FIFO (named
    pipe), not a regular file", or the error of its stat).

    Nothing is opened: a FIFO named like a tapset must not block its reader.  Directories
    linked to are not entered (as os.walk), so a loop of links cannot keep the walk going;
    at most `max_files` names are looked at.
    """
    regular: list[str] = []
    others: list[tuple[str, str]] = []
    looked_at = 0
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for name in sorted(names):
            if not name.endswith(suffixes):
                continue
            looked_at += 1
            if looked_at > max_files:
                return sorted(regular), others
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            try:
                mode = os.stat(path).st_mode
            except OSError as err:
                others.append((relative, err.strerror or str(err)))
                continue
            if stat.S_ISREG(mode):
                regular.append(relative)
            else:
                kind = file_kind(mode)
                others.append((relative, f"it is {kind}" if kind == "not a regular file"
                               else f"it is {kind}, not a regular file"))
    return sorted(regular), others


def exact_text(data: bytes) -> str:
    """The text of `data`, with each byte that is not UTF-8 as a lone surrogate (see the module doc)."""
    return data.decode("utf-8", "surrogateescape")


def exact_bytes(text: str) -> bytes:
    """The bytes of a text made by exact_text (and edited): each lone surrogate is its byte again."""
    return text.encode("utf-8", "surrogateescape")


def first_bad_byte(data: bytes) -> int | None:
    """The offset of the first byte that is not UTF-8, or None."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start
    return None


def write_file(path: str, data: bytes, sync_directory: bool = True) -> None:
    """Replace the contents of the file `path` with `data` (see the module doc).  Raises FileError.

    A file that does not exist yet is made with the usual permissions (0666 less the umask).
    `sync_directory=False`: the caller makes the rename durable, once per directory for many
    files (`sync_directories`); the file holds its old or its new bytes in the meantime.
    """
    target = os.path.realpath(path)  # through symbolic links: the link stays, its file changes
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise FileError(path, "write", err.strerror or str(err)) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise FileError(path, "write", f"it is {file_kind(st.st_mode)}, not a regular file")
    if st is not None:
        # A file we may not write stays as it is, though a rename would replace it all the same:
        # open it for writing (changing nothing) to learn that, and why (read-only, permissions).
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)))
        except OSError as err:
            raise FileError(path, "write", err.strerror or str(err)) from None
    if st is not None and st.st_nlink > 1:
        _write_in_place(path, target, data)
        return
    try:
        _replace(target, data, st, sync_directory)
    except _KeepInode:
        _write_in_place(path, target, data)
    except OSError as err:
        raise FileError(path, "write", err.strerror or str(err)) from None


class _KeepInode(Exception):
    """The file cannot be replaced by a new one without losing something: write it in place."""


def _replace(target: str, data: bytes, st, sync_directory: bool = True) -> None:
    import tempfile

    directory = os.path.dirname(target)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    except PermissionError:
        if st is not None:
            raise _KeepInode from None  # a directory we may not write in, a file we may
        raise
    try:
        with os.fdopen(fd, "wb") as out:
            if st is not None:
                if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                    try:
                        os.fchown(out.fileno(), st.st_uid, st.st_gid)
                    except OSError:
                        raise _KeepInode from None  # the new file would change hands
                os.fchmod(out.fileno(), stat.S_IMODE(st.st_mode))
            else:
                mask = os.umask(0)
                os.umask(mask)
                os.fchmod(out.fileno(), 0o666 & ~mask)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    if sync_directory:
        _sync_directory(directory)


def directory_of(path: str) -> str:
    """The directory `write_file` renames `path` in (through symbolic links)."""
    return os.path.dirname(os.path.realpath(path))


def sync_directories(directories) -> None:
    """Make the renames of `write_file(..., sync_directory=False)` in these directories durable."""
    for directory in sorted(set(directories)):
        _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable (where directories can be opened and synced)."""
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_in_place(path: str, target: str, data: bytes) -> None:
    """Overwrite the file's own inode (its other names see the change); on a failed write, put
    the old bytes back."""
    try:
        fd = os.open(target, os.O_RDWR | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise FileError(path, "write", err.strerror or str(err)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileError(path, "write", f"it is {file_kind(st.st_mode)}, not a regular file")
        old = _read_all(fd, st.st_size)
        try:
            _overwrite(fd, data)
        except OSError as err:
            try:
                _overwrite(fd, old)
            except OSError:
                raise FileError(path, "write", f"{err.strerror or err}; the file may be damaged "
                                               f"(its old contents could not be written back)") from None
            raise FileError(path, "write", f"{err.strerror or err} (the file was left as it was)") from None
    finally:
        os.close(fd)


def _read_all(fd: int, size: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    remaining = size
    while remaining > 0:  # bounded by the size the file had when it was opened
        chunk = os.read(fd, remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _overwrite(fd: int, data: bytes) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        view = view[written:]
    os.ftruncate(fd, len(data))
    os.fsync(fd)
