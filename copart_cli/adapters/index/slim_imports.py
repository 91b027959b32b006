"""Keep whoosh from loading modules that a local search never uses.

whoosh.compat does `from urllib.request import urlretrieve` (which loads http.client, email
and ssl) and whoosh.reading `from cached_property import cached_property` (whose module loads
asyncio): about 50 ms of every query's start-up, for names whoosh never calls on our paths.
whoosh.query.terms takes `variations` from whoosh.lang.morph_en (about 5 ms of regular
expressions compiled, for a query copart never builds).
While those whoosh modules run their imports, and only then, the names come from here
instead: `urlretrieve` and `variations` load the real module when called, and
`cached_property` is the standard library's (whoosh uses it only on instances with a
__dict__, where it does the same job). Any other code, before or after, imports the real
modules.
Imports hold a lock per module, not one for all: a second thread importing urllib.request
at the very moment whoosh.compat loads could get the stand-in. copart imports whoosh on
one thread (its build and site workers are processes), so this does not arise here.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.abc
import importlib.machinery
import sys
import types


def _later(module: str, name: str):
    """A stand-in for MODULE.NAME that imports the real one when first called."""
    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return call


# whoosh module -> (module it imports, the one name it takes from it, what we give instead)
_STAND_INS = {"whoosh.compat": ("urllib.request", "urlretrieve", _later("urllib.request", "urlretrieve")),
              "whoosh.reading": ("cached_property", "cached_property", functools.cached_property),
              "whoosh.query.terms": ("whoosh.lang.morph_en", "variations", _later("whoosh.lang.morph_en", "variations"))}


@contextlib.contextmanager
def _standing_in(name: str, attr: str, value):
    if name in sys.modules:  # loaded already: nothing to save
        yield
        return
    module = types.ModuleType(name)
    setattr(module, attr, value)
    sys.modules[name] = module
    try:
        yield
    finally:
        if sys.modules.get(name) is module:
            del sys.modules[name]


class _Loader(importlib.abc.Loader):
    def __init__(self, real: importlib.abc.Loader, stand_in: tuple) -> None:
        self.real, self.stand_in = real, stand_in

    def create_module(self, spec):
        return self.real.create_module(spec)

    def exec_module(self, module) -> None:
        with _standing_in(*self.stand_in):
            self.real.exec_module(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in _STAND_INS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader, _STAND_INS[fullname])
        return spec


def install() -> None:
    """Once per process, before whoosh is first imported."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
