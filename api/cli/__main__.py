"""`python -m api.cli …`, as the `istok` script."""

from api.cli.main import app

app()
