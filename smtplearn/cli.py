"""The `smtplearn` command: a thin dispatcher; each subcommand lives in its own module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand -> (module with `add_arguments(parser)` and `run(args) -> int`, one-line help)
SUBCOMMANDS = {
    "server": ("smtplearn.server.console", "run a debugging mail server in this terminal"),
    "demo": ("smtplearn.demo", "replay the three PyMOTW walkthroughs against a built-in server"),
    "notebooks": ("smtplearn.notebook_files", "copy the tutorial notebooks to a folder"),
}


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="smtplearn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    subparsers = {
        name: commands.add_parser(name, help=help_text, description=help_text)
        for name, (_module, help_text) in SUBCOMMANDS.items()
    }
    # Import only the chosen subcommand: `smtplearn demo` need not load the others.
    chosen = next((word for word in arguments if word in SUBCOMMANDS), None)
    if chosen is not None:
        module = importlib.import_module(SUBCOMMANDS[chosen][0])
        module.add_arguments(subparsers[chosen])
    args = parser.parse_args(arguments)
    result: int = module.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
