"""One error type for everything a user can cause, and the exit codes it maps to.

Adapters turn their library's exceptions into these; only cli.py turns these into
exit codes and stderr lines.
"""

from __future__ import annotations

import errno
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2  # bad usage, or input needed under --no-input
    SYNC = 3  # sync left a conflict or the remote was unreachable (work kept)
    CHECK = 4  # a check or a gate failed


class CopartError(Exception):
    """An error with a one-line message, an optional hint and an exit code."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None, *, exit_code: ExitCode | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(CopartError):
    exit_code = ExitCode.USAGE


class InputNeeded(UsageError):
    """Raised when copart would have to ask, but --no-input (or no terminal) forbids it."""


class RepertoireNotFound(CopartError):
    pass


class NotFound(CopartError):
    """An unknown entry id, member, ask or contribution."""


class InvalidEntry(CopartError):
    """An entry that cannot be parsed or is missing what its kind requires."""


class LinkRefused(InvalidEntry):
    """A path in the repertoire that is, or runs through, a symbolic link: never followed."""

    REASON = "is a symbolic link; copart does not follow links"

    def __init__(self, rel: str):
        super().__init__(f"{rel}:1: {self.REASON}")
        self.rel = rel


class AlreadyExists(CopartError):
    pass


class GitError(CopartError):
    """git failed, or is missing."""


class DiskFull(GitError):
    """The disk (or the quota) is full: never reported as offline, nor as a conflict."""


class SyncError(CopartError):
    exit_code = ExitCode.SYNC


class RemoteUnreachable(SyncError):
    """A fetch, push or clone could not reach the remote (offline, gone, refused)."""


class RemoteRefused(CopartError):
    """The remote answered, and the answer will not change by waiting: credentials refused, no
    such repository, an unknown or changed ssh host key, the hub's rules (work kept)."""


class BadRemoteUrl(UsageError):
    """A remote URL git cannot use: an unknown scheme (`htp://`), a malformed address."""


class CheckFailed(CopartError):
    exit_code = ExitCode.CHECK


class TemplateError(CopartError):
    pass


def is_disk_full(exc: OSError) -> bool:
    """No space left (or over quota): the user's to fix, never a bug."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)
