"""Docs Assistant (placeholder until the knowledge-base issue lands)."""

from __future__ import annotations

import streamlit as st

from ui.auth import require_user

require_user()
st.title("Docs Assistant")
st.info("Answers about mixing, mastering and this app, with citations from a bundled "
        "knowledge base, arrive with the Docs Assistant issue.")
