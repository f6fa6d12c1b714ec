"""Persistence: SQLModel tables, the user-scoped repositories and audio retention.

``db`` (engines, schema upgrade, sessions), ``tables`` (internal), ``records`` (what callers
get: frozen records with plain ``int`` ids), one module per aggregate (``users``,
``projects``, ``tracks``, ``analyses``, ``messages``, ``usage``) and ``retention``.

Every function takes the acting user and scopes its query to them: another user's object
behaves exactly like a missing one (``zz_core.errors.NotFoundError``). Nothing here
measures audio or asks a model for advice; only ``zz_core.services`` calls the store.
"""
