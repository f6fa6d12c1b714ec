"""The service tests share the store tests' fixtures (``engine`` on each backend, ``world``)."""

from __future__ import annotations

from tests.store.conftest import engine, world  # noqa: F401  (fixtures)
