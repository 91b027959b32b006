"""`copart config get/set`: reading and changing copart.yaml's keys, each one checked.

A change is one commit through the write door (`Repertoire.commit`), under the policy in
force when it is made: turning `review: coordinators` on lands on main at once; under
review, any change to copart.yaml is a contribution a coordinator accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from copart_cli.core import frontmatter, ids
from copart_cli.core.errors import CopartError, UsageError
from copart_cli.services.repertoire import CONFIG_FILE, REVIEW_POLICIES, Config

if TYPE_CHECKING:
    from copart_cli.services.repertoire import Repertoire


def _text(limit: int, needed: bool) -> Callable[[Any], Any]:
    """Text on one line (spaces folded), at most `limit` characters, required when `needed`."""
    def check(value: Any) -> Any:
        if isinstance(value, (list, dict)):
            raise ValueError("takes text, not a list")
        text = " ".join(str(value if value is not None else "").split())
        if needed and not text:
            raise ValueError("needs a value")
        if len(text) > limit:
            raise ValueError(f"is at most {limit} characters, not {len(text)}")
        return text
    return check


def _topics(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [] if value in (None, "") else str(value).split(",")
    topics = [str(t).strip() for t in items if str(t).strip()]
    bad = [t for t in topics if not ids.is_valid(t)]
    if bad:
        raise ValueError(f"'{bad[0]}' is not a topic (lowercase words joined by hyphens, e.g. cash-flow)")
    return list(dict.fromkeys(topics))


def _review(value: Any) -> str:
    if str(value) not in REVIEW_POLICIES:
        raise ValueError(f"'{value}' is not one of {', '.join(REVIEW_POLICIES)}")
    return str(value)


def _remote(value: Any) -> str:
    text = str(value or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", text) or ".." in text or text.endswith((".", ".lock")):
        raise ValueError(f"'{text[:60]}' is not a remote name (letters, digits, '.', '-', '_'; e.g. origin)")
    return text


# key → (what it is, how a value is checked and normalised)
KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "name": ("the community's name", _text(300, needed=True)),
    "domain": ("what the community is about, in a sentence", _text(300, needed=False)),
    "description": ("a longer description", _text(2000, needed=False)),
    "topics": ("the domain's vocabulary: a list, '[a, b]' or 'a, b'", _topics),
    "review": ("open, or coordinators (new work is reviewed first)", _review),
    "default_remote": ("the remote sync uses by default", _remote),
}


@dataclass
class ConfigValues:
    view = "community"
    values: dict[str, Any]  # the keys asked for (all of them for `config get`)
    single: bool = False  # one key asked for: its value alone is printed


@dataclass
class ConfigSet:
    view = "community"
    key: str
    value: Any
    commit: str | None  # None: it already had that value
    pending: bool = False  # under review: a contribution, not yet on main


def _known(key: str) -> str:
    if key not in KEYS:
        raise UsageError(f"unknown key '{key}' (one of {', '.join(KEYS)})", hint="see them with: copart config get")
    return key


def _current(config: Config, key: str) -> Any:
    return getattr(config, key)  # Config reads each key (a wrong type as missing) under the same name


def get_config(rep: Repertoire, key: str | None = None) -> ConfigValues:
    config = rep.config
    if key is not None:
        return ConfigValues({_known(key): _current(config, key)}, single=True)
    return ConfigValues({k: _current(config, k) for k in KEYS})


def set_config(rep: Repertoire, key: str, text: str) -> ConfigSet:
    """Set one key of copart.yaml and commit it. Only topics is read as YAML (so it can be a list):
    a name such as 'no' or '#1 bakers' is kept as typed, not turned into false or a comment."""
    from copart_cli.adapters.files import atomic_write, read_text
    from copart_cli.core.yamlio import NotYaml, load_value

    _known(key)
    raw: Any = text
    if key == "topics" and text.strip():
        try:
            raw = load_value(text)
        except NotYaml:
            pass
    try:
        value = KEYS[key][1](raw)
    except ValueError as exc:
        raise UsageError(f"{key}: {exc}", hint=f"{key} is {KEYS[key][0]}") from None
    if key == "review" and value == "coordinators" and not any(m.is_coordinator for m in rep.members().values()):
        # nobody could accept a contribution: every write after this one would wait for ever
        raise CopartError("review: coordinators needs a coordinator, and no member profile has that role",
                          hint="give one first, e.g.: copart edit MEMBER --field 'roles=[coordinator, partner]'")
    reviewed = rep.reviewed  # the policy in force (read before the write)
    path = rep.root / CONFIG_FILE
    before = read_text(path, CONFIG_FILE)
    if _current(Config.parse(before, rep.root.name), key) == value:
        return ConfigSet(key, value, None)
    rep.git.identity()
    after = frontmatter.update(before, {key: value})
    Config.parse(after, rep.root.name)  # what is written must read back
    atomic_write(path, after, CONFIG_FILE)
    try:
        sha = rep.commit([CONFIG_FILE], f"config: set {key}\n\n{key}: {frontmatter.inline(value)}")
    except BaseException:
        atomic_write(path, before, CONFIG_FILE)  # nothing half-done: the file is as it was
        raise
    return ConfigSet(key, value, sha, pending=reviewed)
