"""The command line: `planner solve|audit|check` (`cli.root`), one module per other subcommand
(`cli.commands`), and what they share (`cli._common`). A face: it calls the library and holds
no planning logic."""
from planner.cli.root import main

__all__ = ["main"]







