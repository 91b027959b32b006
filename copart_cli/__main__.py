"""Entry point. `copart --version` answers before typer is even imported."""

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from copart_cli import __version__

        print(f"copart {__version__}")
        return
    from copart_cli.cli import run

    run(quick_exit=True)


if __name__ == "__main__":
    main()
