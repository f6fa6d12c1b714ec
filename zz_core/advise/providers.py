"""Chat-completion providers: OpenAI, any OpenAI-compatible endpoint (Groq, Ollama,
Gemini's OpenAI endpoint, vLLM, ...) through ``base_url``, and the built-in offline engine.

Every call returns a ``Reply``: iterate it for the text as it streams (``st.write_stream``
takes it as is), then read ``reply.text`` and ``reply.usage``. Usage comes from the API's
final usage chunk (``stream_options={"include_usage": True}``); when a server sends none it
is estimated with ``zz_core.advise.tokens`` and marked ``estimated``. Failures of any kind become a
``ProviderError`` with a sentence a producer can act on (HTTP errors, timeouts, cut-off
streams, and replies that are not the protocol at all: a body that is not UTF-8 text, an
event that is not JSON); nothing half-written is returned as if it were an answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from zz_core.advise import tokens
from zz_core.advise.feedback import Usage
from zz_core.config import Settings, load_settings
from zz_core.errors import ZzError
from zz_core.vocab import PROVIDERS, ProviderName

Message = dict[str, str]
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
OFFLINE_MODEL = "zz-offline-1"
ErrorReason = Literal["network", "timeout", "auth", "rate_limit", "quota", "model",
                      "refused", "server", "empty", "config", "malformed"]
ENDPOINT_PRESETS: dict[str, str] = {
    "Groq": "https://api.groq.com/openai/v1",
    "Ollama (local)": "http://localhost:11434/v1/",
    "Gemini (OpenAI endpoint)": "https://generativelanguage.googleapis.com/v1beta/openai/",
    "vLLM / LM Studio (local)": "http://localhost:8000/v1",
}


class ProviderError(ZzError):
    """A call to a language model failed; ``str(error)`` is the message for the user."""

    def __init__(self, message: str, reason: ErrorReason, retryable: bool) -> None:
        super().__init__(message)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class ProviderConfig:
    """Which model answers, and how to reach it. ``api_key`` is never logged or stored."""

    provider: ProviderName = "offline"
    model: str = OFFLINE_MODEL
    api_key: str | None = None
    base_url: str | None = None
    timeout_s: float = 60.0
    max_retries: int = 2
    max_completion_tokens: int = 1500
    temperature: float | None = None  # None: the model's default (some accept no other)
    estimate_model: str = DEFAULT_OPENAI_MODEL  # prices the offline engine's "would cost"

    @property
    def offline(self) -> bool:
        return self.provider == "offline"

    def label(self) -> str:
        if self.offline:
            return "Offline engine (rules and templates, not a language model)"
        where = "OpenAI" if self.provider == "openai" else (self.base_url or "endpoint")
        return f"{self.model} via {where}"

    def with_overrides(self, **changes: Any) -> ProviderConfig:
        return replace(self, **{k: v for k, v in changes.items() if v not in (None, "")})


def provider_config(settings: Settings) -> ProviderConfig:
    """The configured language model (``zz_core.config``: ``[llm]`` in the secrets or
    ``ZZ_LLM_PROVIDER`` = offline | openai | compatible, default openai when an API key
    is set, else offline; ``ZZ_LLM_MODEL``, ``ZZ_LLM_BASE_URL``, ``ZZ_LLM_API_KEY`` or
    ``OPENAI_API_KEY``, ``ZZ_LLM_TIMEOUT_S``)."""
    key = settings.llm_api_key or None
    provider = (settings.llm_provider or ("openai" if key else "offline")).lower()
    if provider not in PROVIDERS:
        raise ProviderError(f"unknown provider {provider!r}: use offline, openai or "
                            "compatible", "config", retryable=False)
    default_model = OFFLINE_MODEL if provider == "offline" else DEFAULT_OPENAI_MODEL
    return ProviderConfig(
        provider=provider,
        model=settings.llm_model or default_model,
        api_key=key,
        base_url=settings.llm_base_url or None,
        timeout_s=settings.llm_timeout_s or 60.0,
        estimate_model=settings.llm_model or DEFAULT_OPENAI_MODEL,
    )


def config_from_env(env: Mapping[str, str] | None = None) -> ProviderConfig:
    """``provider_config`` of the settings read from ``env`` (default: the environment)."""
    return provider_config(load_settings(environ=env))


class Reply:
    """A reply being produced. Iterate once for the text pieces; afterwards ``text``,
    ``usage`` and ``done`` hold the outcome. ``complete()`` consumes it in one go."""

    def __init__(self, pieces: Iterator[str], *, provider: ProviderName, model: str,
                 finish: Callable[[str], Usage]) -> None:
        self._pieces = pieces
        self._finish = finish
        self.provider: ProviderName = provider
        self.model = model
        self.text = ""
        self.usage = Usage()
        self.done = False

    def __iter__(self) -> Iterator[str]:
        parts: list[str] = []
        for piece in self._pieces:
            parts.append(piece)
            yield piece
        self.text = "".join(parts)
        self.usage = self._finish(self.text)
        self.done = True

    def complete(self) -> Reply:
        for _ in self:
            pass
        return self


def fixed_reply(text: str, *, prompt: Sequence[Message] = (),
                config: ProviderConfig | None = None) -> Reply:
    """The offline engine's reply: ``text`` in paragraphs, zero tokens used, and what the
    same exchange would have cost on ``config.estimate_model`` (``Usage.would_cost_usd``)."""
    estimate_model = (config or ProviderConfig()).estimate_model

    def finish(written: str) -> Usage:
        prompt_tokens = tokens.count_message_tokens(prompt) if prompt else 0
        completion_tokens = tokens.count_tokens(written)
        return Usage(estimated=True, would_cost_usd=tokens.cost_usd(
            estimate_model, prompt_tokens, completion_tokens))

    pieces = (paragraph + "\n\n" for paragraph in text.strip().split("\n\n"))
    return Reply(pieces, provider="offline", model=OFFLINE_MODEL, finish=finish)


def chat(config: ProviderConfig, messages: Sequence[Message]) -> Reply:
    """Stream a chat completion from OpenAI or an OpenAI-compatible endpoint."""
    if config.offline:
        raise ProviderError("the offline engine answers without a prompt",
                            "config", retryable=False)
    _check_config(config)
    return _OpenAIChat(config, list(messages)).reply()


def _check_config(config: ProviderConfig) -> None:
    if config.provider == "openai" and not config.api_key:
        raise ProviderError("No OpenAI API key is configured. Set OPENAI_API_KEY (or "
                            "[llm] api_key in .streamlit/secrets.toml), or use the offline "
                            "engine.", "config", retryable=False)
    if config.provider == "compatible" and not config.base_url:
        raise ProviderError("An OpenAI-compatible provider needs its base URL, e.g. "
                            "https://api.groq.com/openai/v1", "config", retryable=False)


class _OpenAIChat:
    """One streamed call through the official ``openai`` client."""

    def __init__(self, config: ProviderConfig, messages: list[Message]) -> None:
        self.config = config
        self.messages = messages
        self.reported: Usage | None = None

    def reply(self) -> Reply:
        stream = self._open()
        return Reply(self._pieces(stream), provider=self.config.provider,
                     model=self.config.model, finish=self._usage)

    def _client(self) -> Any:
        from openai import OpenAI

        return OpenAI(api_key=self.config.api_key or "not-needed",
                      base_url=self.config.base_url or None, timeout=self.config.timeout_s,
                      max_retries=self.config.max_retries)

    def _request(self, with_usage: bool) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self.config.model, "messages": self.messages,
                                   "stream": True}
        limit_name = ("max_completion_tokens" if self.config.provider == "openai"
                      else "max_tokens")
        request[limit_name] = self.config.max_completion_tokens
        if self.config.temperature is not None:
            request["temperature"] = self.config.temperature
        if with_usage:
            request["stream_options"] = {"include_usage": True}
        return request

    def _open(self) -> Any:
        import openai

        client = self._client()
        try:
            return client.chat.completions.create(**self._request(with_usage=True))
        except openai.BadRequestError as error:
            if "stream_options" not in str(error):
                raise _translate(error, self.config) from error
        except openai.OpenAIError as error:
            raise _translate(error, self.config) from error
        except _MALFORMED as error:
            raise _malformed(error, self.config) from error
        try:  # an older compatible server that rejects stream_options: ask without
            return client.chat.completions.create(**self._request(with_usage=False))
        except openai.OpenAIError as error:
            raise _translate(error, self.config) from error
        except _MALFORMED as error:
            raise _malformed(error, self.config) from error

    def _pieces(self, stream: Any) -> Iterator[str]:
        import openai

        wrote = finished = False
        try:
            for chunk in stream:
                if getattr(chunk, "usage", None) is not None:
                    self.reported = Usage(prompt_tokens=chunk.usage.prompt_tokens or 0,
                                          completion_tokens=chunk.usage.completion_tokens or 0)
                for choice in chunk.choices or ():
                    finished = finished or bool(choice.finish_reason)
                    content = getattr(choice.delta, "content", None)
                    if content:
                        wrote = True
                        yield content
        except openai.OpenAIError as error:
            raise _translate(error, self.config) from error
        except _MALFORMED as error:  # not UTF-8, not JSON, or JSON of another shape
            raise _malformed(error, self.config) from error
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        if wrote and not finished:
            raise ProviderError(f"The answer from {self.config.model} was cut off. Try "
                                "again.", "network", retryable=True)
        if not wrote:
            raise ProviderError(f"{self.config.model} sent an empty answer. Try again, or "
                                "try another model.", "empty", retryable=True)

    def _usage(self, text: str) -> Usage:
        if self.reported is not None and (self.reported.prompt_tokens
                                          or self.reported.completion_tokens):
            usage = self.reported
        else:
            usage = Usage(prompt_tokens=tokens.count_message_tokens(self.messages),
                          completion_tokens=tokens.count_tokens(text), estimated=True)
        return usage.model_copy(update={"cost_usd": tokens.cost_usd(
            self.config.model, usage.prompt_tokens, usage.completion_tokens)})


_MALFORMED = (ValueError, TypeError, AttributeError, KeyError)
"""What the client raises on a reply that is not the protocol: ``UnicodeDecodeError`` (a
body that is not UTF-8) and ``json.JSONDecodeError`` (an event that is not JSON) are both
``ValueError``s; JSON of another shape surfaces as a type, attribute or key error."""


def _where(config: ProviderConfig) -> str:
    return "OpenAI" if config.provider == "openai" else (config.base_url or "the endpoint")


def _malformed(error: Exception, config: ProviderConfig) -> ProviderError:
    """The ProviderError for a reply that is not a chat completion at all."""
    what = ("is not UTF-8 text" if isinstance(error, UnicodeDecodeError)
            else "is not JSON" if isinstance(error, json.JSONDecodeError)
            else "is not a chat completion")
    return ProviderError(f"{_where(config)} sent a reply that {what}: check that the base URL "
                         "points to an OpenAI-compatible API, or try again.", "malformed",
                         retryable=True)


def _translate(error: Exception, config: ProviderConfig) -> ProviderError:
    """The plain-language ProviderError for an ``openai`` exception."""
    import openai

    where = _where(config)
    if isinstance(error, openai.APITimeoutError):
        return ProviderError(f"{where} did not answer within {config.timeout_s:g} s.",
                             "timeout", retryable=True)
    if isinstance(error, openai.APIConnectionError):
        return ProviderError(f"Could not reach {where}: check the network and the "
                             "endpoint address.", "network", retryable=True)
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return ProviderError(f"{where} refused the API key: check it in the settings.",
                             "auth", retryable=False)
    if isinstance(error, openai.RateLimitError):
        if getattr(error, "code", None) == "insufficient_quota":
            return ProviderError(f"The account's quota at {where} is used up: check its "
                                 "billing.", "quota", retryable=False)
        return ProviderError(f"{where} is rate-limiting requests: wait a moment and retry.",
                             "rate_limit", retryable=True)
    if isinstance(error, openai.NotFoundError):
        return ProviderError(f"{where} does not know the model {config.model!r}.",
                             "model", retryable=False)
    if isinstance(error, openai.BadRequestError | openai.UnprocessableEntityError):
        return ProviderError(f"{where} refused the request: {_detail(error)}", "refused",
                             retryable=False)
    return ProviderError(f"{where} failed ({_detail(error)}): retry in a moment.", "server",
                         retryable=True)


def _detail(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error)
    return " ".join(str(message).split())[:300]
