"""Reading the YAML data files a producer may edit (genre targets, platforms, ...):
one place that turns unreadable files and validation errors into plain sentences."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import yaml
from pydantic import BaseModel, ValidationError

from zz_core.errors import ZzError

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
"""The YAML data files a producer may edit (genres, platforms, advice, presets, prices)."""
PROJECT_DIR = PACKAGE_DIR.parent
MIGRATIONS_DIR = PROJECT_DIR / "migrations"
KNOWLEDGE_DIR = PROJECT_DIR / "knowledge"
"""The bundled knowledge base (Markdown) of the Docs Assistant."""


MAX_PROBLEMS_SHOWN = 12

_Model = TypeVar("_Model", bound=BaseModel)


class DataFileError(ZzError, ValueError):
    """A data file (genres, platforms, advice, presets, prices) cannot be read or is
    invalid; the message names the file, the entry and the field."""


def read_yaml(source: Path) -> Any:
    """Parsed YAML of ``source``; ``DataFileError`` (with a plain message) when unreadable."""
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as err:
        raise DataFileError(f"cannot read {source}: {err.strerror or err}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise DataFileError(f"{source.name} is not valid YAML: {err}") from None


def fail(source: Path, problems: list[str]) -> NoReturn:
    """Raise ``DataFileError`` listing the first problems found in ``source``."""
    shown = problems[:MAX_PROBLEMS_SHOWN]
    more = (f" (and {len(problems) - len(shown)} more)"
            if len(problems) > len(shown) else "")
    raise DataFileError(f"{source.name} is invalid: " + "; ".join(shown) + more)


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


def load_model(source: Path, model: type[_Model]) -> _Model:
    """``source`` read as YAML and validated as ``model``; ``DataFileError`` naming the file
    and each invalid field ("rules.eq.max_gain_db: ...") when it is unreadable or invalid.
    A packaged file (in DATA_DIR) is read once and cached; any other file on every call."""
    path = Path(source).resolve()
    if path.parent == DATA_DIR:
        return cast(_Model, _cached_model(path, model))
    return _read_model(path, model)


def _read_model(source: Path, model: type[_Model]) -> _Model:
    data = read_yaml(source)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = validation_lines("", err)
    fail(source, problems)


@lru_cache(maxsize=32)
def _cached_model(source: Path, model: type[BaseModel]) -> BaseModel:
    return _read_model(source, model)
