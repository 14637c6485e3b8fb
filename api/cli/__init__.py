"""The `istok` command line: `main` holds the app and the store's commands, the others join it.

Each module imports what its commands use only when they run, so `istok --help` starts at once.
"""

from api.cli.main import app

__all__ = ["app"]
