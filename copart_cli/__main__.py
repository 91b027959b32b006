"""Entry point. `copart --version` answers before typer is even imported."""

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from copart_cli import __version__

        print(f"copart {__version__}")
        return
    try:
        from copart_cli.cli import run
    except KeyboardInterrupt:  # Ctrl-C while Python was still loading copart
        sys.stderr.write("\ncopart: interrupted\n")
        sys.exit(130)
    run(quick_exit=True)


if __name__ == "__main__":
    main()
