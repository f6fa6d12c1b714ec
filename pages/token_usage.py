"""Token Usage (placeholder until the AI-feedback issue lands)."""

from __future__ import annotations

import streamlit as st

from ui.auth import require_user

require_user()
st.title("Token Usage")
st.info("Token and cost accounting per stage, model and session arrives with the AI "
        "feedback issue. The offline engine (the default) uses no tokens.")
