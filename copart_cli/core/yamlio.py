"""The YAML loaders and dumper behind frontmatter.py, in their own module so that
importing the model does not import yaml (a query never parses YAML)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import yaml


class _NoDuplicates:
    """Mixin: a mapping with the same key twice is an error, not a silent overwrite."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                dup = key in seen
            except TypeError:
                raise yaml.MarkedYAMLError(None, None, "a key must be a plain value", key_node.start_mark)
            if dup:
                raise yaml.MarkedYAMLError(None, None, f"duplicate key '{key}'", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class StrictLoader(_NoDuplicates, yaml.SafeLoader):
    """Pure-Python loader that also refuses aliases (YAML bombs)."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(None, None, "aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


if hasattr(yaml, "CSafeLoader"):

    class FastLoader(_NoDuplicates, yaml.CSafeLoader):  # type: ignore[misc]
        """libyaml's parser: several times faster, used when no alias can be present."""

else:  # pragma: no cover - PyYAML built without libyaml
    FastLoader = StrictLoader  # type: ignore[misc,assignment]


def _timestamp(loader, node):
    """A timestamp that is no real date (2026-02-30, year 0, a +99:00 offset) stays the text
    it was: `check` reports it, everything else reads the key as missing, nothing crashes."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


for _loader in {StrictLoader, FastLoader}:
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


class Dumper(yaml.SafeDumper):
    pass


if hasattr(yaml, "CSafeDumper"):

    class FastDumper(yaml.CSafeDumper):  # type: ignore[misc]
        """libyaml's emitter: about eight times faster than the pure-Python one (an `import`
        of a handbook spends most of its time dumping frontmatter)."""

else:  # pragma: no cover - PyYAML built without libyaml
    FastDumper = Dumper  # type: ignore[misc,assignment]

# libyaml writes characters beyond the BMP as \U escapes (an emoji in a title would read
# "\U0001F600" in the file): a value holding one goes to the pure-Python emitter, which writes
# it as it is. The two write everything else alike, except NEL and the Unicode line
# separators, which the pure-Python emitter folds into spaces (losing them) and libyaml keeps:
# a value with one of those always goes to libyaml.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SEPARATORS = re.compile("[\x85\u2028\u2029]")


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)


def dump_mapping(meta: dict[str, Any]) -> str:
    """A mapping as block YAML in its own key order, flat lists in flow style, one line per
    scalar however long."""
    texts = list(_texts(meta))
    slow = any(_ASTRAL.search(t) for t in texts) and not any(_SEPARATORS.search(t) for t in texts)
    return yaml.dump(meta, Dumper=Dumper if slow else FastDumper, sort_keys=False, allow_unicode=True,
                     width=10_000, default_flow_style=False)


def _repr_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flat = all(not isinstance(v, (list, dict)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


def _repr_datetime(dumper: yaml.SafeDumper, data: dt.datetime) -> yaml.Node:
    if data.tzinfo is not None:
        data = data.astimezone(dt.timezone.utc)
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", data.strftime("%Y-%m-%dT%H:%M:%SZ"))


for _dumper in {Dumper, FastDumper}:
    _dumper.add_representer(list, _repr_list)
    _dumper.add_representer(tuple, _repr_list)
    _dumper.add_representer(dt.datetime, _repr_datetime)


class NotYaml(ValueError):
    """The text is not YAML (the caller decides whether that is an error)."""


def load_value(text: str) -> Any:
    """One value typed on the command line, read as YAML with the strict loader."""
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise NotYaml(str(exc)) from None
