"""Where Curator keeps its data: resolved once at the edge (CLI, GUI) and passed in."""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA_DIR = "CURATOR_DATA_DIR"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--data-dir, else $CURATOR_DATA_DIR, else the platform's user data dir."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("curator", appauthor=False))
