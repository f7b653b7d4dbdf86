"""The command line: `planner solve|audit|check` (`cli.root`), one module per other subcommand
(`cli.commands`), and what they share (`cli._common`). A face: it calls the library and holds
no planning logic.

Importing this package loads nothing but the standard library: it installs the Ctrl-C handler
of the `planner` command (`cli._interrupt`) before `planner`, pandas or OR-Tools load, and
`main` imports the commands when it is called.
"""
from planner.cli._interrupt import install_early

install_early()


def main(argv: list[str] | None = None) -> None:
    """`planner ARGS…` (the console script `planner.cli:main`); see `planner.cli.root.main`."""
    from planner.cli.root import main as run
    run(argv)


__all__ = ["main"]
