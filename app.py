"""ZoundZcope: the Streamlit entry point (``streamlit run app.py``).

Routes the pages with st.navigation from the first run: while nobody is signed in the
navigation holds the sign-in page alone, unlisted (the pages' own URLs show it too, and
signing in there opens that page; no page is listed or reachable); once someone is, the
pages, with who is signed in in the sidebar. Pages are thin:
widgets and plots calling zz_core through zz_core.services.
"""

from __future__ import annotations

import streamlit as st

from ui import auth, conversation, resources

st.set_page_config(page_title="ZoundZcope", page_icon=":material/graphic_eq:", layout="wide")

PAGES = [
    st.Page("pages/analyze.py", title="Analyze", icon=":material/graphic_eq:", default=True),
    st.Page("pages/history.py", title="History & Compare", icon=":material/history:"),
    st.Page("pages/docs_assistant.py", title="Docs Assistant", icon=":material/menu_book:"),
    st.Page("pages/token_usage.py", title="Token Usage", icon=":material/toll:"),
]

resources.retention_thread()
accounts, cookie = auth.setup()
user = auth.signed_in(accounts, cookie)

if user is None:
    auth.route_sign_in(accounts, cookie, also_at=[page.url_path for page in PAGES])
else:
    navigation = st.navigation(PAGES)
    auth.sidebar_account(accounts, cookie)
    conversation.provider_panel()
    navigation.run()
