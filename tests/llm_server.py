"""A small OpenAI-compatible chat-completions server on 127.0.0.1 for the tests.

It speaks the real wire protocol (JSON, or server-sent events when ``stream`` is true,
with the final usage chunk when ``stream_options.include_usage`` is set), so the real
``openai`` client talks to it unchanged. Each test scripts what it answers next:

    server.answer("INSIGHT: ...")                  # a normal streamed reply
    server.fail(429, "rate_limit_exceeded")        # an HTTP error
    server.answer("slow", delay_s=5)               # for timeouts
    server.answer("...", usage=False)              # a server that reports no usage
    server.answer(raw_body=b"\xff\xfe")              # a 200 whose body is not UTF-8
    server.answer(raw_events=(b"not-json",))       # an event stream of malformed events

and reads ``server.requests`` to see exactly what the app sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "test-key-123"


@dataclass
class Script:
    """What the server does for one request."""

    text: str = ""
    status: int = 200
    error_code: str = ""
    delay_s: float = 0.0
    usage: bool = True
    reject_stream_options: bool = False
    cut_after_chunks: int | None = None  # drop the connection mid-stream
    prompt_tokens: int = 0  # 0: a word count of the prompt
    raw_body: bytes | None = None  # a 200 with exactly these bytes as its body
    raw_events: tuple[bytes, ...] | None = None  # "data: <each>" events, then [DONE]
    responder: Callable[[dict[str, Any]], str] | None = None


@dataclass
class LLMServer:
    """The running server: ``base_url`` for the client, ``requests`` as received."""

    host: str = "127.0.0.1"
    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    default: Script = field(default_factory=lambda: Script(text="INSIGHT: ok\nSUGGESTION: ok"))
    _queue: deque[Script] = field(default_factory=deque)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def answer(self, text: str = "", **options: Any) -> None:
        self._queue.append(Script(text=text, **options))

    def fail(self, status: int, error_code: str = "", **options: Any) -> None:
        self._queue.append(Script(status=status, error_code=error_code, **options))

    def respond_with(self, responder: Callable[[dict[str, Any]], str]) -> None:
        """Answer every unscripted request with ``responder(request_body)``."""
        self.default = Script(responder=responder)

    def reset(self) -> None:
        """Forget scripted answers and received requests (between tests)."""
        self._queue.clear()
        self.requests.clear()
        self.default = Script(text="INSIGHT: ok\nSUGGESTION: ok")

    def next_script(self) -> Script:
        return self._queue.popleft() if self._queue else self.default

    def start(self) -> LLMServer:
        server = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _handler_for(state: LLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            # the client may give up first (a timeout test): nothing left to answer
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._error(404, "not_found", f"no route {self.path}")
            if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                return self._error(401, "invalid_api_key", "Incorrect API key provided")
            state.requests.append(body)
            script = state.next_script()
            time.sleep(script.delay_s)
            if script.status != 200:
                return self._error(script.status, script.error_code, "scripted failure")
            if script.reject_stream_options and "stream_options" in body:
                state._queue.appendleft(script)  # the client's retry gets the reply
                return self._error(400, "invalid_request_error",
                                   "Unrecognized request argument supplied: stream_options")
            if script.raw_body is not None:
                return self._raw(bool(body.get("stream")), script.raw_body)
            text = script.responder(body) if script.responder else script.text
            if body.get("stream"):
                return self._stream(body, script, text)
            return self._json(200, _completion(body, script, text))

        def _stream(self, body: dict[str, Any], script: Script, text: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            if script.raw_events is not None:
                for event in script.raw_events:
                    self.wfile.write(b"data: " + event + b"\n\n")
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True
                return
            include_usage = script.usage and bool(
                (body.get("stream_options") or {}).get("include_usage"))
            for index, chunk in enumerate(_chunks(body, script, text, include_usage)):
                if script.cut_after_chunks is not None and index >= script.cut_after_chunks:
                    self.wfile.write(b"data: {\"truncated")
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

        def _raw(self, stream: bool, data: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type",
                             "text/event-stream" if stream else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: str, message: str) -> None:
            self._json(status, {"error": {"message": message, "type": code, "code": code}})

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def prompt_words(body: dict[str, Any]) -> int:
    return sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))


def _usage(body: dict[str, Any], script: Script, text: str) -> dict[str, int]:
    prompt = script.prompt_tokens or prompt_words(body)
    completion = len(text.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


def _chunks(body: dict[str, Any], script: Script, text: str,
            include_usage: bool) -> Iterator[dict[str, Any]]:
    base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0,
            "model": body.get("model", "test-model")}
    yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                "finish_reason": None}]}
    for start in range(0, len(text), 24):
        yield {**base, "choices": [{"index": 0, "delta": {"content": text[start:start + 24]},
                                    "finish_reason": None}]}
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    if include_usage:
        yield {**base, "choices": [], "usage": _usage(body, script, text)}


def _completion(body: dict[str, Any], script: Script, text: str) -> dict[str, Any]:
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": 0,
            "model": body.get("model", "test-model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": _usage(body, script, text)}
