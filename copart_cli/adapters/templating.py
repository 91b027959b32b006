"""The only module that talks to jinja2.

A repertoire's own templates (.copart/templates/) come from whoever can push to it: they
are code, run on every partner's machine. So they run sandboxed (no files, no Python
internals), are read only through the file adapter (a linked template or folder is refused,
and an include or import cannot leave the template folders), and every render is bounded:
time, output size, the size of what `*` and `**` make, and (on Linux) the memory it may add.
A render that passes a limit is stopped with one TemplateError; nothing is returned, so the
caller writes nothing.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

from copart_cli.core.errors import CopartError, TemplateError
from copart_cli.adapters.files import MAX_ENTRY_BYTES, data_dir, read_bytes
from copart_cli.core.frontmatter import inline
from copart_cli.core.model import TEMPLATES_DIR



def _setting(name: str, default: float) -> float:
    """A limit from the environment (the user's own, never the repertoire's), else the default."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


# The limits, read once (documented in docs/publish.md). One render: a page, a digest, a new
# entry's template. A Renderer (a whole site) also has a budget for all its renders together.
RENDER_SECONDS = _setting("COPART_TEMPLATE_SECONDS", 10.0)
TOTAL_SECONDS = _setting("COPART_TEMPLATE_TOTAL_SECONDS", 300.0)
RENDER_CHARS = 16 * 2**20  # one page or digest
TOTAL_CHARS = 1024 * 2**20  # a whole site
MAX_SEQUENCE = 2**20  # items in a string or list a template makes with `*`
MAX_POWER_BITS = 4096  # bits in an integer a template makes with `**`
RENDER_MEMORY = 1024 * 2**20  # address space one render may add (Linux RLIMIT_AS)


class _Budget:
    """What renders may still spend: seconds and characters."""

    def __init__(self):
        self.seconds = TOTAL_SECONDS
        self.chars = TOTAL_CHARS
        self.memory: int | None = None  # the address-space cap, measured at the first render


class _Timeout(BaseException):
    """Raised by the alarm inside a render; a BaseException so no `except Exception` in a
    template's call path can swallow it."""


def _environment(repertoire: Path | None, autoescape: bool = False):
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Sandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context, operator, left, right):
            _check_binop(operator, left, right)
            return super().call_binop(context, operator, left, right)

    env = Sandbox(
        loader=_loader(repertoire),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=autoescape,
    )
    env.filters["yaml"] = inline
    return env


def _check_binop(operator: str, left: Any, right: Any) -> None:
    from jinja2.exceptions import SecurityError

    if operator == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_SEQUENCE:
                raise SecurityError(f"'*' would make {len(seq) * n} items; a template may make at most {MAX_SEQUENCE}")
    elif isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        if right * abs(left).bit_length() > MAX_POWER_BITS:
            raise SecurityError(f"'**' would make a number of about {right * abs(left).bit_length()} bits; "
                                f"a template may make at most {MAX_POWER_BITS}")


def _loader(repertoire: Path | None):
    """Templates from the repertoire's .copart/templates/, then copart's own, through the file
    adapter: a template, or a folder on the way to it, that is a symbolic link is refused, and
    a name with '..' is not found (jinja2's split_template_path), so nothing outside is read."""
    import jinja2

    class Loader(jinja2.BaseLoader):
        def __init__(self):
            self.roots: list[tuple[Path, str]] = [(data_dir("templates"), "")]
            if repertoire is not None:
                self.roots.insert(0, (Path(repertoire), TEMPLATES_DIR))

        def find(self, name: str) -> tuple[bytes, Path] | None:
            """A template's bytes and file, or None; LinkRefused for a link on the way."""
            pieces = jinja2.loaders.split_template_path(name)
            for root, prefix in self.roots:
                rel = "/".join([*([prefix] if prefix else []), *pieces])
                path = root / rel
                try:
                    data = read_bytes(path, rel, MAX_ENTRY_BYTES + 1)
                except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                    continue
                except OSError as exc:
                    raise TemplateError(f"cannot read the template {rel}: {exc.strerror or exc}") from None
                if len(data) > MAX_ENTRY_BYTES:
                    raise TemplateError(f"the template {rel} is larger than 2 MiB")
                return data, path
            return None

        def get_source(self, environment, template):
            found = self.find(template)
            if found is None:
                raise jinja2.TemplateNotFound(template)
            data, path = found
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise TemplateError(f"the template {path} is not UTF-8 text") from None
            return text, str(path), lambda: True  # one command: never stale

    return Loader()


def render(name: str, context: dict[str, Any], repertoire: Path | None = None, **env_options: Any) -> str:
    """Render template `name` (e.g. 'new/story.md') with `repertoire`'s overrides; errors name
    the template and line."""
    env = _environment(repertoire, bool(env_options.pop("autoescape", False)))
    env.filters.update(env_options.pop("filters", {}))
    return _bounded(env, name, context, _Budget())


class Renderer:
    """One sandboxed environment for many renders (a site: thousands of pages, templates compiled once).

    `autoescape=True` for HTML: every value is escaped unless wrapped with `safe()` (used only
    for HTML copart itself sanitised).
    """

    def __init__(self, repertoire: Path | None = None, *, autoescape: bool = True, filters: dict | None = None):
        self.env = _environment(repertoire, autoescape)
        self.env.filters.update(filters or {})
        self.budget = _Budget()

    def render(self, name: str, context: dict[str, Any]) -> str:
        return _bounded(self.env, name, context, self.budget)

    def source_bytes(self, name: str) -> bytes | None:
        """A template folder's file as it is (an override, or the bundled one), or None."""
        found = self.env.loader.find(name)  # type: ignore[union-attr]
        return found[0] if found else None

    @staticmethod
    def safe(html: str):
        from markupsafe import Markup

        return Markup(html)


def _bounded(env, name: str, context: dict[str, Any], budget: _Budget) -> str:
    """Render under the limits: the output is counted as it is made, the alarm stops a loop."""
    seconds = min(RENDER_SECONDS, budget.seconds)
    chars = min(RENDER_CHARS, budget.chars)
    # the limit that binds, as the user reads it: this render's, or the whole run's
    slow = f"the template ran longer than {RENDER_SECONDS:g} s" if seconds == RENDER_SECONDS else \
        f"the templates ran longer than {TOTAL_SECONDS:g} s in all"
    big = f"the template made more than {_mib(RENDER_CHARS)} of output" if chars == RENDER_CHARS else \
        f"the templates made more than {_mib(TOTAL_CHARS)} of output in all"
    started = time.monotonic()
    out: list[str] = []
    size = 0

    def work() -> None:
        nonlocal size
        template = env.get_template(name)
        shown = lambda: _shown(template.filename or name)  # noqa: E731 - only an error needs it
        try:
            with _alarm(seconds), _memory_cap(budget):
                for chunk in template.generate(**context):
                    size += len(chunk)
                    if size > chars:
                        raise TemplateError(f"{shown()}: {big}; stopped", hint=_HINT)
                    out.append(chunk)
        except _Timeout:
            raise TemplateError(f"{shown()}: {slow}; stopped", hint=_HINT) from None
        except MemoryError:
            raise TemplateError(f"{shown()}: the template needed more than {_mib(RENDER_MEMORY)} of memory; "
                                "stopped", hint=_HINT) from None

    try:
        if seconds <= 0:
            raise TemplateError(f"{name}: {slow}; stopped", hint=_HINT)
        if chars <= 0:
            raise TemplateError(f"{name}: {big}; stopped", hint=_HINT)
        _guarded(name, work)
    finally:
        budget.seconds -= time.monotonic() - started
        budget.chars -= size
    return "".join(out)


def _mib(n: float) -> str:
    return f"{int(n) // 2**20} MiB"


_HINT = "templates in .copart/templates/ are code from whoever can push: see docs/publish.md"


@contextlib.contextmanager
def _alarm(seconds: float):
    """Raise _Timeout in the main thread after `seconds` (a render never runs elsewhere)."""
    import signal
    import threading

    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    armed = True

    def ring(signum, frame):
        if armed:
            raise _Timeout()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _memory_cap(budget: _Budget):
    """While rendering, the process may grow by RENDER_MEMORY at most (from its size at the
    first render): a template that builds a huge value gets a MemoryError instead of
    exhausting the machine. Linux only (/proc)."""
    try:
        import resource

        if budget.memory is None:
            with open("/proc/self/statm", encoding="ascii") as fh:
                budget.memory = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE") + int(RENDER_MEMORY)
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        yield
        return
    cap = budget.memory
    unlimited = resource.RLIM_INFINITY
    if (soft != unlimited and soft <= cap) or (hard != unlimited and hard < cap):
        yield  # already held tighter than this
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _guarded(name: str, work) -> None:
    """Run a render, turning every failure of the template into one TemplateError naming the
    template and line (a template is code from the repertoire: any exception is its fault)."""
    import jinja2

    try:
        work()
    except CopartError:
        raise
    except jinja2.TemplateNotFound as exc:
        missing = exc.name or name
        raise TemplateError(f"template '{missing}' not found" + (f" (asked for by {name})" if missing != name else "")) from None
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise TemplateError(f"{_shown(where)}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        where, line = _template_where(exc, name)
        raise TemplateError(f"{where}:{line}: template tried something unsafe: {exc}", hint=_HINT) from None
    except jinja2.UndefinedError as exc:
        where, line = _template_where(exc, name)
        raise TemplateError(f"{where}:{line}: template error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{name}: template error: {exc}") from None
    except Exception as exc:  # e.g. {{ 1/0 }}, a too-big range: the template's fault, not copart's
        where, line = _template_where(exc, name)
        raise TemplateError(f"{where}:{line}: template error: {type(exc).__name__}: {exc}") from None


def _template_line(exc: BaseException, name: str) -> int | str:
    """The template line of a runtime error, found in the traceback jinja2 rewrote."""
    tb = exc.__traceback__
    line: int | str = "?"
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(name.split("/")[-1]):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _template_where(exc: BaseException, name: str) -> tuple[str, int | str]:
    """The template file and line of a runtime error: the innermost template frame in the
    traceback jinja2 rewrote (so an error in an included or base template names that one)."""
    tb = exc.__traceback__
    where: tuple[str, int | str] = (name, _template_line(exc, name))
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".md", ".txt", ".xml", ".j2", ".yaml", ".js", ".css")):
            where = (_shown(filename), tb.tb_lineno)
        tb = tb.tb_next
    return where


def _shown(filename: str) -> str:
    """A template file as a user would name it: relative to the folder we run in, if inside it."""
    try:
        rel = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel
