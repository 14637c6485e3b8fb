"""Settings read from the environment (DESIGN.md section 7a)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    host: str
    port: int


def load_settings() -> Settings:
    """Read settings now, so tests and subprocesses can set the environment first."""
    data_dir = Path(os.environ.get("ISTOK_DATA_DIR", "var")).resolve()
    default_db = f"sqlite:///{data_dir / 'istok.db'}"
    return Settings(
        database_url=os.environ.get("ISTOK_DATABASE_URL", default_db),
        data_dir=data_dir,
        host=os.environ.get("ISTOK_HOST", "127.0.0.1"),
        port=int(os.environ.get("ISTOK_PORT", "8000")),
    )
