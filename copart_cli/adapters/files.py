"""File-system adapter: atomic writes, safe paths, locks, bundled data.

The one rule for links lives here: every path copart reads, lists or writes inside a
repertoire is given as (path, rel) — `rel` its name relative to the repertoire root, `path`
that root joined with it — and no part of `rel` may be a symbolic link, `..` or absolute
(`guard`). So nothing a partner commits (a linked kind folder, a linked template, a linked
copart.yaml) can make copart read or write outside the work tree.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from copart_cli.core.errors import CopartError, InvalidEntry, LinkRefused, UsageError

MAX_ENTRY_BYTES = 2 * 1024 * 1024  # an "entry" larger than this is not a note


def guard(path: Path, rel: str, *, last: bool = True) -> Path:
    """`path` (the repertoire root joined with `rel`), once no folder on the way to it — nor
    the file itself, unless `last=False` — is a symbolic link (LinkRefused), and `rel` cannot
    climb out of the root (UsageError). Parts that do not exist yet are fine (a new file)."""
    parts = rel.split("/")
    if rel.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise UsageError(f"'{rel}' is outside the repertoire")
    path = Path(path)
    if path.parts[-len(parts):] != tuple(parts):
        raise ValueError(f"{path} does not end with {rel}")  # a caller's bug, not a user's
    here = str(path.parents[len(parts) - 1])
    for i, part in enumerate(parts if last else parts[:-1]):
        here = os.path.join(here, part)
        try:
            mode = os.lstat(here).st_mode
        except (FileNotFoundError, NotADirectoryError):
            break
        if stat.S_ISLNK(mode):
            raise LinkRefused("/".join(parts[: i + 1]))
    return path


def open_read(path: Path, rel: str | None = None):
    """A binary file object for reading, refusing links (O_NOFOLLOW) on the way (see guard)."""
    if rel is not None:
        guard(path, rel, last=False)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: a FIFO must not hang us (regular files ignore it)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LinkRefused(rel or str(path)) from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return os.fdopen(fd, "rb")


def read_bytes(path: Path, rel: str | None = None, limit: int | None = None) -> bytes:
    """A file's bytes (at most `limit`), links refused (LinkRefused); other failures are OSError."""
    with open_read(path, rel) as fh:
        return fh.read() if limit is None else fh.read(limit)


def file_size(path: Path, rel: str) -> int | None:
    """The size of a regular repertoire file, not following links; None for anything else."""
    try:
        st = os.lstat(guard(path, rel))
    except (OSError, LinkRefused):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def copy_file(path: Path, rel: str, target: Path, limit: int) -> bool:
    """Copy a regular repertoire file (links refused on the way, at most `limit` bytes) to a new
    file `target` outside the repertoire; False when it is not a regular file, is too large, or
    cannot be read."""
    import shutil

    try:
        with open_read(path, rel) as src:
            if os.fstat(src.fileno()).st_size > limit:
                return False
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as dst:
                shutil.copyfileobj(src, dst)
    except (OSError, LinkRefused, UsageError):
        return False
    return True


def list_dir(path: Path, rel: str) -> list[str]:
    """The sorted names in a repertoire folder; [] if it is missing; LinkRefused if it is a link."""
    guard(path, rel)
    try:
        return sorted(os.listdir(path))
    except (FileNotFoundError, NotADirectoryError):
        return []


def walk_files(root: Path, top: str) -> list[str]:
    """Every file at any depth below the repertoire folder `top` (links to files included, so
    check can flag them), as sorted repertoire-relative paths. Hidden names (`.obsidian/`) and
    linked folders are left out, and so is a folder that cannot be read; [] when `top` is
    missing; LinkRefused when `top` itself is a link."""
    guard(root / top, top)
    found: list[str] = []

    def refused(exc: OSError) -> None:  # a folder that cannot be read is left out, not fatal
        return None

    for dirpath, dirnames, filenames in os.walk(root / top, onerror=refused):  # never follows linked folders
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and not os.path.islink(os.path.join(dirpath, d))]
        base = os.path.relpath(dirpath, root).replace(os.sep, "/")
        found.extend(f"{base}/{name}" for name in filenames if not name.startswith("."))
    return sorted(found)


def find_links(root: Path, tops: list[str]) -> list[str]:
    """Every symbolic link at or below these names in root (files and folders), for `check`."""
    found: list[str] = []
    for top in tops:
        full = root / top
        if full.is_symlink():
            found.append(top)
            continue
        for dirpath, dirnames, filenames in os.walk(full):  # never follows linked folders
            base = os.path.relpath(dirpath, root).replace(os.sep, "/")
            for name in sorted(dirnames + filenames):
                if os.path.islink(os.path.join(dirpath, name)):
                    found.append(f"{base}/{name}")
    return sorted(found)


def remove(path: Path, rel: str) -> None:
    """Unlink a repertoire file (a link itself may go: it is not followed), never through a linked folder."""
    guard(path, rel, last=False)
    os.unlink(path)


def open_new(path: Path, rel: str, binary: bool = False):
    """Open for writing a file that must not exist yet (FileExistsError), never through a link;
    its missing folders are made (after the check, so never through a linked one)."""
    guard(path, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    guard(path, rel)  # a folder made meanwhile could be a link: judged again
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o666)
    return os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")


def create_new(path: Path, rel: str, text: str) -> None:
    """Create a file that must not exist yet (FileExistsError), never through a link."""
    with open_new(path, rel) as fh:
        fh.write(text)


def atomic_write(path: Path, text: str, rel: str | None = None) -> None:
    """Write text so that readers see the old file or the new one, never half of it.

    With `rel` (the file's name in the repertoire) the write refuses links on the way (guard).
    """
    if rel is not None:
        guard(path, rel)
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


def refuse_binary(data: bytes, shown: str) -> None:
    """InvalidEntry for bytes that are no text (a NUL in the first 8 KiB, as git judges it)."""
    if b"\0" in data[:8192]:
        raise InvalidEntry(f"{shown}:1: binary file (contains NUL bytes)")


def read_text(path: Path, rel: str | None = None) -> str:
    """Read an entry as UTF-8, refusing binary, huge or undecodable files with a clear error."""
    shown = rel or str(path)
    try:
        with open_read(path, rel) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_ENTRY_BYTES:
                raise InvalidEntry(f"{shown}:1: file is {size // 1024} KiB, larger than an entry may be (2 MiB)")
            data = fh.read()
    except FileNotFoundError:
        raise InvalidEntry(f"{shown}:1: file not found") from None
    except IsADirectoryError:
        raise InvalidEntry(f"{shown}:1: is a folder, not a file") from None
    except OSError as exc:
        raise InvalidEntry(f"{shown}:1: cannot read: {exc.strerror}") from None
    refuse_binary(data, shown)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidEntry(f"{shown}:{line}: not valid UTF-8 text") from None


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
    package = Path(__file__).resolve().parent.parent  # copart_cli/
    for candidate in (package / "_data" / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    raise CopartError(f"copart's bundled '{name}' folder is missing", hint="reinstall copart")


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


def _working_dirs() -> set[Path]:
    """The current directories of this process and, where /proc shows them (Linux), of every
    process of this user; those of other users cannot be read and are not needed."""
    found = set()
    with contextlib.suppress(OSError):  # the current directory was removed
        found.add(Path.cwd().resolve())
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return found
    for pid in pids:
        with contextlib.suppress(OSError):
            found.add(Path(os.readlink(f"/proc/{pid}/cwd")))
    return found


def remove_old_temp_folders(prefix: str, marker: str, keep: Path) -> list[Path]:
    """Remove the folders claim_temp_folder made before (all but `keep`, those still being filled
    and those in use: the current directory of any of this user's processes, such as a shell
    someone is exploring an earlier copy in); the ones removed."""
    import fcntl
    import shutil
    import stat

    in_use = _working_dirs()
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
            real = folder.resolve()
            if any(d == real or real in d.parents for d in in_use):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            if not os.path.lexists(folder):
                removed.append(folder)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed
