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


def _environment(override_dir: Path | None):
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    search = [str(p) for p in (override_dir,) if p is not None and p.is_dir()]
    search.append(str(data_dir("templates")))
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(search, followlinks=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["yaml"] = inline
    return env


def render(name: str, context: dict[str, Any], override_dir: Path | None = None, **env_options: Any) -> str:
    """Render template `name` (e.g. 'new/story.md'); errors name the template and line."""
    import jinja2

    env = _environment(override_dir)
    env.filters.update(env_options.pop("filters", {}))
    try:
        template = env.get_template(name)
        return template.render(**context)
    except jinja2.TemplateNotFound:
        raise TemplateError(f"template '{name}' not found") from None
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise TemplateError(f"{where}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateError(f"{name}: template tried something unsafe: {exc}") from None
    except jinja2.UndefinedError as exc:
        line = _template_line(exc, name)
        raise TemplateError(f"{name}:{line}: template error: {exc.message}") from None
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
