"""Where jiedan keeps its files: under JIEDAN_HOME when set, else platformdirs' folders."""

from __future__ import annotations

import os
from pathlib import Path


def _home() -> Path | None:
    value = os.environ.get("JIEDAN_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir("jiedan"))


def data_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir("jiedan"))


def state_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "state"
    import platformdirs

    return Path(platformdirs.user_state_dir("jiedan"))


def downloads_dir() -> Path:
    """Where the dashboard saves delivered files: JIEDAN_HOME/downloads, else a jiedan
    folder in the user's downloads folder."""
    home = _home()
    if home is not None:
        return home / "downloads"
    import platformdirs

    return Path(platformdirs.user_downloads_dir()) / "jiedan"


def install_file() -> Path:
    """This install's id (sync/install.py): one line, made once, 0600."""
    return data_dir() / "install-id"


def server_dir() -> Path:
    return data_dir() / "server"


# ---- files readable by their owner only -----------------------------------------------------
# The replica holds messages, the ledger, a location and an e-mail address; the config folder
# a token. Whatever the umask, what the client makes is its user's alone: folders 0700 (as the
# XDG base-directory spec asks), files 0600.

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path, *, ours: bool = False) -> Path:
    """`path`, made with each missing parent as a 0700 folder. `ours`: the folder is one of
    jiedan's own (config, data, state dir), so if it exists readable by others (an older
    version made it 0755) it is tightened; any other folder that exists keeps its mode."""
    missing = []
    step = path
    while not step.exists() and step.parent != step:
        missing.append(step)
        step = step.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # another process made it first
            continue
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is cut by the umask
    if ours and not missing:
        make_private(path, PRIVATE_DIR)
    return path


def make_private(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Take away group and other access from an existing file (or folder) of this user."""
    try:
        found = os.stat(path)
        if found.st_mode & 0o077 and found.st_uid == _uid():
            os.chmod(path, mode)
    except OSError:  # gone, or not ours to change: nothing to tighten
        pass


def create_private(path: Path) -> None:
    """Make `path` an empty 0600 file unless it exists (then only tighten it)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, PRIVATE_FILE))
    except FileExistsError:
        make_private(path)


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` as a new 0600 file, atomically: written beside it, then renamed
    over it. A file that was there is replaced, not written into — so whoever could read it
    (or opened it before) sees none of the new content, and a link there is never followed."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, PRIVATE_FILE)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows


def _uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None
