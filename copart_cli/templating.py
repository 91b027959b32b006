"""The only module that talks to jinja2.

Templates run sandboxed: a repertoire's own templates (.copart/templates/) come from
whoever can push to it, so they must not read files or reach Python internals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from copart_cli.errors import TemplateError
from copart_cli.files import data_dir
from copart_cli.frontmatter import inline


def _environment(override_dir: Path | None, autoescape: bool = False):
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    search = [str(p) for p in (override_dir,) if p is not None and p.is_dir()]
    search.append(str(data_dir("templates")))
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(search, followlinks=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=autoescape,
    )
    env.filters["yaml"] = inline
    return env


def render(name: str, context: dict[str, Any], override_dir: Path | None = None, **env_options: Any) -> str:
    """Render template `name` (e.g. 'new/story.md'); errors name the template and line."""
    import jinja2

    env = _environment(override_dir, bool(env_options.pop("autoescape", False)))
    env.filters.update(env_options.pop("filters", {}))
    return _guarded(name, lambda: env.get_template(name).render(**context))


class Renderer:
    """One sandboxed environment for many renders (a site: thousands of pages, templates compiled once).

    `autoescape=True` for HTML: every value is escaped unless wrapped with `safe()` (used only
    for HTML copart itself sanitised).
    """

    def __init__(self, override_dir: Path | None = None, *, autoescape: bool = True, filters: dict | None = None):
        self.env = _environment(override_dir, autoescape)
        self.env.filters.update(filters or {})

    def render(self, name: str, context: dict[str, Any]) -> str:
        return _guarded(name, lambda: self.env.get_template(name).render(**context))

    def source_path(self, name: str) -> Path | None:
        """The file a template name resolves to (an override, or the bundled one), or None."""
        for root in self.env.loader.searchpath:  # type: ignore[union-attr]
            candidate = Path(root) / name
            if candidate.is_file():
                return candidate
        return None

    @staticmethod
    def safe(html: str):
        from markupsafe import Markup

        return Markup(html)


def _guarded(name: str, work) -> str:
    """Run a render, turning every jinja2 error into one TemplateError naming the template and line."""
    import jinja2

    try:
        return work()
    except jinja2.TemplateNotFound:
        raise TemplateError(f"template '{name}' not found") from None
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise TemplateError(f"{where}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateError(f"{name}: template tried something unsafe: {exc}") from None
    except jinja2.UndefinedError as exc:
        where, line = _template_where(exc, name)
        raise TemplateError(f"{where}:{line}: template error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{name}: template error: {exc}") from None


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
    import os

    try:
        rel = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel
