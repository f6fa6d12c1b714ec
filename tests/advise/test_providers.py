"""The real ``openai`` client against an OpenAI-compatible server on 127.0.0.1: streaming,
the usage chunk, servers without usage, errors, timeouts and cut-off streams."""

from __future__ import annotations

import pytest

from tests.llm_server import API_KEY, LLMServer
from zz_core.advise import tokens
from zz_core.advise.providers import (
    ProviderConfig,
    ProviderError,
    chat,
    config_from_env,
    fixed_reply,
)

MESSAGES = [{"role": "system", "content": "You are terse."},
            {"role": "user", "content": "How loud should techno be?"}]


@pytest.fixture
def server(llm_server: LLMServer) -> LLMServer:
    return llm_server


@pytest.fixture
def config(server: LLMServer) -> ProviderConfig:
    return ProviderConfig(provider="compatible", model="gpt-4o-mini", api_key=API_KEY,
                          base_url=server.base_url, timeout_s=2.0, max_retries=0)


def test_streams_pieces_and_reports_usage(server: LLMServer, config: ProviderConfig) -> None:
    answer = "INSIGHT: It is loud.\nSUGGESTION: Aim for -8 LUFS integrated."
    server.answer(answer, prompt_tokens=57)
    reply = chat(config, MESSAGES)
    pieces = list(reply)
    assert len(pieces) > 1 and "".join(pieces) == answer == reply.text
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (
        57, len(answer.split()))  # what the server reported, not an estimate
    assert not reply.usage.estimated
    assert reply.usage.cost_usd == pytest.approx(
        tokens.cost_usd("gpt-4o-mini", 57, len(answer.split())))


def test_request_carries_model_messages_and_usage_option(server: LLMServer,
                                                         config: ProviderConfig) -> None:
    server.answer("ok")
    chat(config, MESSAGES).complete()
    sent = server.requests[-1]
    assert sent["model"] == "gpt-4o-mini" and sent["messages"] == MESSAGES
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["max_tokens"] == config.max_completion_tokens


def test_openai_provider_sends_max_completion_tokens(server: LLMServer,
                                                     config: ProviderConfig) -> None:
    server.answer("ok")
    chat(config.with_overrides(provider="openai"), MESSAGES).complete()
    assert server.requests[-1]["max_completion_tokens"] == config.max_completion_tokens


def test_missing_usage_is_estimated_with_tiktoken(server: LLMServer,
                                                  config: ProviderConfig) -> None:
    server.answer("Aim for minus eight LUFS.", usage=False)
    reply = chat(config, MESSAGES).complete()
    assert reply.usage.estimated
    assert reply.usage.prompt_tokens == tokens.count_message_tokens(MESSAGES)
    assert reply.usage.completion_tokens == tokens.count_tokens("Aim for minus eight LUFS.")


def test_server_rejecting_stream_options_is_asked_again_without(
        server: LLMServer, config: ProviderConfig) -> None:
    server.answer("fine", reject_stream_options=True)
    reply = chat(config, MESSAGES).complete()
    assert reply.text == "fine" and reply.usage.estimated
    assert "stream_options" not in server.requests[-1]


@pytest.mark.parametrize(("status", "code", "reason", "retryable"), [
    (401, "invalid_api_key", "auth", False),
    (429, "rate_limit_exceeded", "rate_limit", True),
    (429, "insufficient_quota", "quota", False),
    (404, "model_not_found", "model", False),
    (400, "invalid_request_error", "refused", False),
    (500, "server_error", "server", True),
    (503, "overloaded", "server", True),
])
def test_http_errors_become_plain_messages(server: LLMServer, config: ProviderConfig,
                                           status: int, code: str, reason: str,
                                           retryable: bool) -> None:
    server.fail(status, code)
    with pytest.raises(ProviderError) as caught:
        chat(config, MESSAGES)
    assert (caught.value.reason, caught.value.retryable) == (reason, retryable)
    assert "Traceback" not in str(caught.value) and len(str(caught.value)) < 400


def test_wrong_key_is_refused(server: LLMServer, config: ProviderConfig) -> None:
    with pytest.raises(ProviderError, match="refused the API key") as caught:
        chat(config.with_overrides(api_key="sk-wrong"), MESSAGES)
    assert caught.value.reason == "auth"


def test_slow_server_times_out(server: LLMServer, config: ProviderConfig) -> None:
    server.answer("too late", delay_s=3.0)
    with pytest.raises(ProviderError, match="did not answer within 2 s") as caught:
        chat(config, MESSAGES)
    assert caught.value.reason == "timeout" and caught.value.retryable


def test_stream_cut_mid_answer_is_an_error_not_an_answer(server: LLMServer,
                                                         config: ProviderConfig) -> None:
    server.answer("INSIGHT: this answer will be cut off before it ends " * 4,
                  cut_after_chunks=3)
    reply = chat(config, MESSAGES)
    with pytest.raises(ProviderError, match="cut off"):
        reply.complete()
    assert not reply.done


@pytest.mark.parametrize(("script", "what"), [
    ({"raw_body": b"\xff\xfe\xfa not UTF-8 \x80\x81"}, "is not UTF-8 text"),
    ({"raw_events": (b"\xff\xfe{\x80}",)}, "is not UTF-8 text"),
    ({"raw_events": (b"not-json",)}, "is not JSON"),
    ({"raw_events": (b'{"choices": 5}',)}, "is not a chat completion"),
])
def test_a_reply_that_is_not_the_protocol_is_a_provider_error(
        server: LLMServer, config: ProviderConfig, script: dict[str, object],
        what: str) -> None:
    server.answer(**script)
    with pytest.raises(ProviderError) as caught:
        chat(config, MESSAGES).complete()
    message = str(caught.value)
    assert what in message and server.base_url in message and "base URL" in message
    assert caught.value.reason == "malformed" and caught.value.retryable
    assert len(message) < 400 and "Traceback" not in message


def test_a_malformed_event_after_text_keeps_nothing(server: LLMServer,
                                                     config: ProviderConfig) -> None:
    chunk = (b'{"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m", '
             b'"choices": [{"index": 0, "delta": {"content": "Half an"}, '
             b'"finish_reason": null}]}')
    server.answer(raw_events=(chunk, b"not-json"))
    reply = chat(config, MESSAGES)
    with pytest.raises(ProviderError, match="is not JSON"):
        reply.complete()
    assert not reply.done and reply.text == ""


def test_empty_answer_is_an_error(server: LLMServer, config: ProviderConfig) -> None:
    server.answer("")
    with pytest.raises(ProviderError, match="empty answer"):
        chat(config, MESSAGES).complete()


def test_unreachable_endpoint_is_a_network_error() -> None:
    config = ProviderConfig(provider="compatible", model="m", api_key="k",
                            base_url="http://127.0.0.1:9/v1", timeout_s=2.0, max_retries=0)
    with pytest.raises(ProviderError, match="Could not reach") as caught:
        chat(config, MESSAGES)
    assert caught.value.reason == "network"


def test_missing_key_or_url_is_a_configuration_error() -> None:
    with pytest.raises(ProviderError, match="No OpenAI API key"):
        chat(ProviderConfig(provider="openai", model="gpt-4o-mini"), MESSAGES)
    with pytest.raises(ProviderError, match="base URL"):
        chat(ProviderConfig(provider="compatible", model="m", api_key="k"), MESSAGES)


def test_offline_reply_uses_no_tokens_but_prices_the_prompt() -> None:
    reply = fixed_reply("First paragraph.\n\nSecond.", prompt=MESSAGES,
                        config=ProviderConfig(estimate_model="gpt-4o-mini")).complete()
    assert reply.text == "First paragraph.\n\nSecond.\n\n"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (0, 0)
    assert reply.usage.cost_usd == 0.0
    expected = tokens.cost_usd("gpt-4o-mini", tokens.count_message_tokens(MESSAGES),
                               tokens.count_tokens(reply.text))
    assert reply.usage.would_cost_usd == pytest.approx(expected) and expected > 0


@pytest.mark.parametrize(("env", "provider", "model"), [
    ({}, "offline", "zz-offline-1"),
    ({"OPENAI_API_KEY": "sk-x"}, "openai", "gpt-4o-mini"),
    ({"OPENAI_API_KEY": "sk-x", "ZZ_LLM_MODEL": "gpt-4.1-mini"}, "openai", "gpt-4.1-mini"),
    ({"ZZ_LLM_PROVIDER": "compatible", "ZZ_LLM_API_KEY": "g",
      "ZZ_LLM_BASE_URL": "https://api.groq.com/openai/v1"}, "compatible", "gpt-4o-mini"),
    ({"OPENAI_API_KEY": "sk-x", "ZZ_LLM_PROVIDER": "offline"}, "offline", "zz-offline-1"),
])
def test_configuration_from_environment(env: dict[str, str], provider: str,
                                        model: str) -> None:
    config = config_from_env(env)
    assert (config.provider, config.model) == (provider, model)


def test_unknown_provider_name_is_refused() -> None:
    with pytest.raises(ProviderError, match="unknown provider"):
        config_from_env({"ZZ_LLM_PROVIDER": "skynet"})
