"""The use cases, called alike by the pages and the command line: accounts, the
workspace (sessions and tracks), uploads, analyses, conversations and usage queries.

Services speak in typed records and result models; only they touch ``zz_core.store``.
"""
