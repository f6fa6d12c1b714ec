"""Token counts (tiktoken cl100k_base, bundled offline) and costs from prices.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import tiktoken

from zz_core.advise import tokens


def test_counts_match_tiktoken_reference_encoding() -> None:
    # The bundled file must be the published cl100k_base: tiktoken checks its SHA-256,
    # and these are the encoding's well-known ids for "hello world".
    assert tiktoken.get_encoding(tokens.ENCODING).encode("hello world") == [15339, 1917]
    assert tokens.count_tokens("hello world") == 2
    assert tokens.estimator() == "tiktoken cl100k_base"


def test_special_token_text_is_counted_not_rejected() -> None:
    assert tokens.count_tokens("<|endoftext|>") > 1


def test_message_overhead_follows_openai_rule() -> None:
    messages = [{"role": "system", "content": "hello world"},
                {"role": "user", "content": "hello world"}]
    assert tokens.count_message_tokens(messages) == 3 + 2 * (3 + 2)


def test_cost_uses_price_per_million() -> None:
    price = tokens.default_prices().price_of("gpt-4o-mini")
    assert price is not None
    expected = (1200 * price.input + 300 * price.output) / 1_000_000
    assert tokens.cost_usd("gpt-4o-mini", 1200, 300) == pytest.approx(expected)


@pytest.mark.parametrize(("model", "family"), [
    ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
    ("gpt-4o-2024-08-06", "gpt-4o"),
    ("GPT-4.1-mini", "gpt-4.1-mini"),
    ("llama3.2:3b", "llama3.2"),
    ("models/gemini-2.0-flash", "gemini-2.0-flash"),
])
def test_dated_and_tagged_names_take_their_family_price(model: str, family: str) -> None:
    table = tokens.default_prices()
    assert table.price_of(model) == table.models[family]


@pytest.mark.parametrize("model", ["gpt-5.1-ultra", "my-finetune", "gpt-4ox"])
def test_unknown_models_cost_nothing_and_say_so(model: str) -> None:
    assert tokens.cost_usd(model, 10_000, 10_000) == 0.0
    assert not tokens.is_priced(model)


def test_bad_price_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "prices.yaml"
    bad.write_text("as_of: x\nmodels:\n  m: {input: -1, output: 2}\n", encoding="utf-8")
    with pytest.raises(tokens.DataFileError, match=r"models\.m\.input"):
        tokens.load_prices(bad)
