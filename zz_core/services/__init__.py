"""The use cases, called alike by the pages and the command line: accounts, the
workspace (sessions and tracks), uploads, analyses, conversations, usage queries, reports,
the knowledge base (docs) and opening the database.

Services speak in typed records (``zz_core.store.records``, re-exported where they are
handed out) and result models; only they touch ``zz_core.store``. Most take a
``Workspace`` (engine, user id, data folder): every query is scoped to that user.
"""
