"""Reading the YAML data files a producer may edit (genre targets, platforms, ...):
one place that turns unreadable files and validation errors into plain sentences."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from zz_core.errors import ZzError

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
"""The YAML data files a producer may edit (genres, platforms, advice, presets, prices)."""
PROJECT_DIR = PACKAGE_DIR.parent
MIGRATIONS_DIR = PROJECT_DIR / "migrations"
KNOWLEDGE_DIR = PROJECT_DIR / "knowledge"
"""The bundled knowledge base (Markdown) of the Docs Assistant."""


def read_yaml(source: Path, error: type[ZzError]) -> Any:
    """Parsed YAML of ``source``; ``error`` (with a plain message) when unreadable."""
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as err:
        raise error(f"cannot read {source}: {err.strerror or err}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise error(f"{source.name} is not valid YAML: {err}") from None


def validation_lines(where: str, err: ValidationError) -> list[str]:
    """One 'path.to.field: problem' line per pydantic error, under the prefix ``where``."""
    lines = []
    for item in err.errors():
        loc = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (misspelt?)"
        path = ".".join(p for p in (where, loc) if p)
        lines.append(f"{path}: {message}" if path else message)
    return lines
