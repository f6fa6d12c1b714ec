"""ZoundZcope: the Streamlit entry point (``streamlit run app.py``).

Routes the pages with st.navigation, behind the login gate; the sidebar shows who is
signed in. Pages are thin: widgets and plots calling zz_core through zz_core.services.
"""

from __future__ import annotations

import streamlit as st

from ui import auth, conversation, resources
from zz_core.services.accounts import Accounts

st.set_page_config(page_title="ZoundZcope", page_icon=":material/graphic_eq:", layout="wide")

config = resources.settings()
directory = Accounts(resources.engine())
resources.retention_thread()
user = auth.login_gate(directory, config.cookie_name, config.cookie_key or "",
                       config.cookie_expiry_days)

if user is None:
    st.stop()

navigation = st.navigation([
    st.Page("pages/analyze.py", title="Analyze", icon=":material/graphic_eq:", default=True),
    st.Page("pages/history.py", title="History & Compare", icon=":material/history:"),
    st.Page("pages/docs_assistant.py", title="Docs Assistant", icon=":material/menu_book:"),
    st.Page("pages/token_usage.py", title="Token Usage", icon=":material/toll:"),
])
auth.sidebar_account(directory)
conversation.provider_panel()
navigation.run()
