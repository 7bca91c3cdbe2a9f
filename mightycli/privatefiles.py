"""Files of the config folder, which is untrusted input: read only when neither they nor their
folder could have been changed by another user (checked as ssh checks its own files), and
written atomically, readable by their owner only. A path can be text: the start-up path does
without pathlib.
"""

from __future__ import annotations

import os
import re
import stat
from typing import TYPE_CHECKING

from mightycli.environment import Env
from mightycli.errors import StateFileError, UnsafeFileError

if TYPE_CHECKING:
    from pathlib import Path

ENV_CONFIG_DIR = Env.CONFIG_DIR


# --------------------------------------------------------------------------- trusting the folder
# The folder is untrusted input: another local user who can write in it could swap logins.json
# and send the tokens to their own server. So it is checked as ssh checks its own files.


def check_trusted(path: str | Path, info: os.stat_result, *, secret: bool = False) -> None:
    """Refuse what ssh refuses: a file or folder owned by someone other than this user (or
    root), or writable by group or others (unless the group is the owner's alone, as Debian's
    ssh allows for user-private groups); with ``secret``, also one others can read."""
    if not hasattr(os, "geteuid"):
        return  # Windows: no POSIX owners or modes; the folder is in the user's own profile
    mode = stat.S_IMODE(info.st_mode)
    loose = mode & (0o077 if secret else 0o022)
    if info.st_uid in (os.geteuid(), 0) and not loose:
        return  # the common case, decided without more imports on the start-up path
    import shlex

    kind = "folder" if stat.S_ISDIR(info.st_mode) else "file"
    quoted = shlex.quote(str(path))
    if info.st_uid not in (os.geteuid(), 0):
        raise UnsafeFileError(
            f"The {kind} {path} belongs to another user (uid {info.st_uid}), who could have "
            "put anything in it; mighty does not use it.",
            hint=f"Use a folder of your own ({ENV_CONFIG_DIR}), or if it is yours, take it "
            f'back: chown "$(id -u)" {quoted}',
        )
    if loose == 0o020 and _owner_only_group(info.st_gid, info.st_uid):
        loose = 0
    if loose & 0o022:
        raise UnsafeFileError(
            f"The {kind} {path} is writable by other users (mode {mode:04o}), so they could "
            "have changed it; mighty does not use it.",
            hint="Check that nobody else has changed it, then run: chmod "
            f"{'600' if secret else 'go-w'} {quoted}",
        )
    if loose:
        raise UnsafeFileError(
            f"The {kind} {path} holds secrets and is readable by other users (mode "
            f"{mode:04o}); mighty does not use it.",
            hint=f"Run: chmod 600 {quoted}, and log in again if others may have read it.",
        )


def _owner_only_group(gid: int, owner: int) -> bool:
    """Whether the group has exactly one member, the owner (primary or supplementary)."""
    import grp
    import pwd

    try:
        group, name = grp.getgrgid(gid), pwd.getpwuid(owner).pw_name
    except KeyError:
        return False
    primary = {entry.pw_uid for entry in pwd.getpwall() if entry.pw_gid == gid}
    return primary <= {owner} and set(group.gr_mem) <= {name} and bool(primary or group.gr_mem)


def check_trusted_folder(folder: str | Path) -> None:
    """The folder a file is read from or written to; a missing one is nothing to check."""
    try:
        info = os.stat(folder)
    except OSError:
        return  # absent, or unreadable: the read or write itself reports it
    check_trusted(folder, info)


def read_trusted(path: str | Path, *, secret: bool = False) -> bytes:
    """A file of the config folder, refused (UnsafeFileError) if it or its folder could have
    been changed by another user; OSError as ``open`` raises it. (A path as text too: the
    start-up path does without pathlib.)"""
    check_trusted_folder(os.path.dirname(os.fspath(path)) or ".")
    with open(path, "rb") as handle:
        check_trusted(path, os.fstat(handle.fileno()), secret=secret)
        return handle.read()


def make_private_dir(path: Path) -> None:
    """Create a folder and any missing parents readable by the owner only (``mkdir -p`` would
    give the parents the default mode)."""
    missing = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)


def cannot_write(path: Path, exc: OSError, what: str = "") -> StateFileError:
    """A file or folder mighty must write and cannot, said as a sentence naming it."""
    folder = path if path.is_dir() else path.parent
    return StateFileError(
        f"Cannot write {what or path}: {exc.strerror or exc}.",
        hint=f"mighty keeps its logins in {folder} and writes there to save, renew or forget "
        f"one: make it writable, or set {ENV_CONFIG_DIR} to a folder that is.",
    )


def check_writable(folder: Path) -> None:
    """Fail now, before a login's code is exchanged or its tokens revoked, if the folder its
    state goes to cannot be written (read-only, full, not ours)."""
    import tempfile

    check_trusted_folder(folder)
    try:
        make_private_dir(folder)
        fd, name = tempfile.mkstemp(dir=folder, prefix=".mighty-write-check.", suffix=".tmp")
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise cannot_write(folder, exc, f"in the config folder {folder}") from exc


# What write_private_file writes first, then renames over the file: tempfile's eight random
# characters between the file's name and ".tmp".
_TEMP_NAME = r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp"


def remove_stale_temp_files(folder: Path, name: str | None = None) -> None:
    """Remove what killed writes left in ``folder`` (of the file ``name``, else of any file):
    a refresh killed before its rename leaves the rotated tokens there, 0600 but forgotten.
    Callers hold the refresh lock, under which every write of these files happens."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = re.fullmatch(_TEMP_NAME, entry.name)
        if (
            match
            and (name is None or match["name"] == name)
            and entry.is_file(follow_symlinks=False)
        ):
            try:
                os.unlink(entry.path)
            except OSError:
                pass  # the write about to happen says what is wrong with the folder


def write_private_file(path: str | Path, data: bytes) -> None:
    """Write atomically, readable by the owner only: a crash leaves the old file or the new one.
    Each file is written by one process at a time (logins.json and tokens.json under the
    refresh lock, a pending login once), so an older temp file of it is a killed write's."""
    from pathlib import Path

    path = Path(path)
    check_trusted_folder(path.parent)
    remove_stale_temp_files(path.parent, path.name)
    try:
        make_private_dir(path.parent)
        import tempfile

        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise cannot_write(path, exc) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except OSError as exc:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise cannot_write(path, exc) from exc
