"""ZoundZcope: the Streamlit entry point (``streamlit run app.py``)."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="ZoundZcope", page_icon="🎚️", layout="wide")

navigation = st.navigation([st.Page("pages/analyze.py", title="Analyze", icon="🎛️",
                                    default=True)])
navigation.run()
