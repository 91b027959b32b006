"""File-system adapter: atomic writes, safe paths, locks, bundled data."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from copart_cli.errors import CopartError, InvalidEntry, UsageError

MAX_ENTRY_BYTES = 2 * 1024 * 1024  # an "entry" larger than this is not a note


def atomic_write(path: Path, text: str) -> None:
    """Write text so that readers see the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); an entry gets the mode it had, or the one
        # any new file gets (0666 less the umask), as git and an editor would leave it
        try:
            mode = os.stat(path).st_mode & 0o777
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_UMASK: int | None = None


def _umask() -> int:
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)  # reading the umask means setting it: put it straight back
        os.umask(_UMASK)
    return _UMASK


def read_cache(path: Path, version: str) -> dict:
    """The items of a local, derived cache (write_cache); {} if missing, unreadable or of another version."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    items = data.get("items") if isinstance(data, dict) and data.get("version") == version else None
    return items if isinstance(items, dict) else {}


def write_cache(path: Path, version: str, items: dict) -> None:
    """Save a cache for read_cache; a failure only means the next run computes again."""
    import json

    with contextlib.suppress(OSError):
        atomic_write(path, json.dumps({"version": version, "items": items}, ensure_ascii=False,
                                      separators=(",", ":")))


def read_text(path: Path, rel: str | None = None) -> str:
    """Read an entry as UTF-8, refusing binary, huge or undecodable files with a clear error."""
    shown = rel or str(path)
    try:
        if path.is_symlink():
            raise InvalidEntry(f"{shown}:1: is a symbolic link; copart does not follow links")
        size = path.stat().st_size
        if size > MAX_ENTRY_BYTES:
            raise InvalidEntry(f"{shown}:1: file is {size // 1024} KiB, larger than an entry may be (2 MiB)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidEntry(f"{shown}:1: file not found") from None
    except IsADirectoryError:
        raise InvalidEntry(f"{shown}:1: is a folder, not a file") from None
    except OSError as exc:
        raise InvalidEntry(f"{shown}:1: cannot read: {exc.strerror}") from None
    if b"\0" in data[:8192]:
        raise InvalidEntry(f"{shown}:1: binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidEntry(f"{shown}:{line}: not valid UTF-8 text") from None


def inside(root: Path, rel: str) -> Path:
    """root/rel, refusing anything that would resolve outside root (../, absolute, links)."""
    candidate = (root / rel).resolve()
    root_resolved = root.resolve()
    if candidate != root_resolved and root_resolved not in candidate.parents:
        raise UsageError(f"'{rel}' is outside the repertoire")
    return candidate


def read_input(path: str) -> str:
    """Text from a file the user named, or stdin for '-'."""
    import sys

    if path == "-":
        data = sys.stdin.buffer.read()
        name = "standard input"
    else:
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise CopartError(f"cannot read {path}: {exc.strerror or exc}") from None
        name = path
    if b"\0" in data:
        raise UsageError(f"{name} is binary, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{name} is not valid UTF-8 text") from None


@contextlib.contextmanager
def locked(lock_path: Path, shared: bool = False) -> Iterator[None]:
    """A kernel file lock: released when the process dies, so it can never go stale."""
    import fcntl

    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def data_dir(name: str) -> Path:
    """A bundled folder (templates, repertoire): inside the wheel, or in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise CopartError(f"copart's bundled '{name}' folder is missing", hint="reinstall copart")


def is_disk_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


# Throwaway folders in the temp dir (`copart demo`): each run removes the ones earlier runs left,
# and only those: the marker must be ours, in a folder of ours with the right prefix.
_MADE_BY = b"copart made this throwaway folder; the next run that made it removes it\n"


def claim_temp_folder(prefix: str, marker: str) -> tuple[Path, int]:
    """A new folder in the temp dir, marked as copart's, and the fd that keeps its marker locked:
    close it once the folder is complete, so a cleanup running meanwhile leaves it alone."""
    import fcntl

    folder = Path(tempfile.mkdtemp(prefix=prefix))
    fd = os.open(folder / f"{marker}.new", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, _MADE_BY)
    os.rename(folder / f"{marker}.new", folder / marker)  # it appears already locked
    return folder, fd


def remove_old_temp_folders(prefix: str, marker: str, keep: Path) -> list[Path]:
    """Remove the folders claim_temp_folder made before (all but `keep`, those still being filled
    and the one holding the current directory); the ones removed."""
    import fcntl
    import shutil
    import stat

    try:
        here = Path.cwd().resolve()
    except OSError:  # the current directory was removed
        here = None
    removed = []
    for folder in sorted(Path(tempfile.gettempdir()).glob(prefix + "*")):
        try:
            st = folder.lstat()
            if folder == keep or not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                continue
            fd = os.open(folder / marker, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode) or os.read(fd, len(_MADE_BY) + 1) != _MADE_BY:
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while a run still fills it
            if here is not None and (here == folder.resolve() or folder.resolve() in here.parents):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            if not os.path.lexists(folder):
                removed.append(folder)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed
