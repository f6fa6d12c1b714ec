"""Token Usage: what the language-model calls of the signed-in user used and cost, by
stage, model and session, over time; CSV export; reset (archive) the counters."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import resources, settings
from ui import usage as usage_ui
from ui.auth import require_user
from zz_core.advise import tokens
from zz_core.advise.providers import DEFAULT_OPENAI_MODEL
from zz_core.errors import ZzError
from zz_core.services import usage

CONFIRM_KEY = "usage_confirm_reset"

user = require_user()
workspace = resources.workspace(user.id)
prices = tokens.default_prices()
st.title("Token Usage")


def estimate_model() -> str:
    """The model the offline engine's "would have cost" is priced on."""
    try:
        return settings.llm_config().estimate_model
    except ZzError:  # a misconfigured provider is reported where it is used
        return DEFAULT_OPENAI_MODEL


def close_confirmation() -> None:
    st.session_state.pop(CONFIRM_KEY, None)


@st.dialog("Reset token counters?", on_dismiss=close_confirmation)
def confirm_reset(count: int) -> None:
    st.text(f"Archive your {count} current usage record(s)? The counters restart from zero. "
            "Nothing is deleted: switch on 'Include archived history' to see them again.")
    left, right = st.columns(2)
    if left.button("Archive and reset", type="primary", key="usage_reset_confirm"):
        usage.reset_counters(workspace)
        close_confirmation()
        st.rerun()
    if right.button("Cancel", key="usage_reset_cancel"):
        close_confirmation()
        st.rerun()


def totals_cards(total: usage.Totals, model: str) -> None:
    cards = st.columns(6)
    cards[0].metric("Calls", usage_ui.format_count(total.calls), border=True)
    cards[1].metric("Prompt tokens", usage_ui.format_count(total.prompt_tokens), border=True)
    cards[2].metric("Completion tokens", usage_ui.format_count(total.completion_tokens),
                    border=True)
    cards[3].metric("Total tokens", usage_ui.format_count(total.total_tokens), border=True)
    cards[4].metric("Cost (USD)", usage_ui.format_usd(total.cost_usd), border=True,
                    help="At the prices listed below; calls to a model without a listed "
                         "price are counted at $0.")
    cards[5].metric("Estimated share", f"{total.estimated_share:.0%}", border=True,
                    help=f"Share of the tokens counted with {tokens.estimator()} because "
                         "the provider reported none.")
    if total.offline_calls:
        st.metric(f"Offline engine: would have cost on {model}",
                  usage_ui.format_usd(total.would_cost_usd), border=True,
                  help=f"{total.offline_calls} call(s) answered by the offline engine, "
                       "which uses no tokens; this is what they would have cost on a "
                       "language model.")


TOKEN_FORMAT = st.column_config.NumberColumn(format="localized")
COLUMN_CONFIG = {
    usage.CALLS: TOKEN_FORMAT, usage.PROMPT: TOKEN_FORMAT, usage.COMPLETION: TOKEN_FORMAT,
    usage.TOTAL: TOKEN_FORMAT,
    usage.COST: st.column_config.NumberColumn(format="$%.4f"),
    usage.WOULD_COST: st.column_config.NumberColumn(format="$%.4f"),
    usage.ESTIMATED_SHARE: st.column_config.NumberColumn(format="percent"),
    usage.PRICE_INPUT: st.column_config.NumberColumn(format="$%.3f"),
    usage.PRICE_OUTPUT: st.column_config.NumberColumn(format="$%.3f"),
}


def breakdowns(frame: pd.DataFrame) -> None:
    stage_tab, model_tab, session_tab = st.tabs(["By stage", "By model", "By session"])
    stage_tab.dataframe(usage.by_stage(frame), hide_index=True,
                        column_config=COLUMN_CONFIG)
    model_tab.dataframe(usage.by_model(frame, prices), hide_index=True,
                        column_config=COLUMN_CONFIG)
    unpriced = usage.unpriced_models(frame)
    if unpriced:
        model_tab.warning(f"{len(unpriced)} model(s) have no listed price: their calls are "
                          "counted at $0 (see the Price column).")
    session_tab.dataframe(usage.by_session(frame), hide_index=True,
                          column_config=COLUMN_CONFIG)


def price_list() -> None:
    with st.expander(f"Prices (US dollars per million tokens, as of {prices.as_of})"):
        st.dataframe(usage.price_table(prices), hide_index=True, column_config=COLUMN_CONFIG)
        st.caption("From zz_core/data/prices.yaml. A model matches its exact name or the "
                   "longest listed family it starts with; a model without a listed price "
                   "is counted at $0 and flagged under By model.")


try:
    include_archived = st.toggle("Include archived history", key="usage_include_archived",
                                 help="Counters you reset are archived, never deleted.")
    model = estimate_model()
    frame = usage.usage_frame(usage.load_usage(workspace, include_archived=include_archived),
                              usage.session_names(workspace), estimate_model=model,
                              prices=prices)
    if frame.empty:
        st.info("No usage recorded yet. The offline engine is the default and uses no tokens; "
                "calls to a language model (OpenAI or a compatible endpoint) are counted "
                "here.")
        if not include_archived and (archived := usage.archived_count(workspace)):
            st.caption(f"The counters were reset: {archived} earlier record(s) are kept as "
                       "history. Switch on 'Include archived history' to see them.")
    else:
        total = usage.totals(frame)
        if include_archived and (archived := int(frame["archived"].sum())):
            st.caption(f"Including {archived} archived record(s) from before a reset.")
        totals_cards(total, model)
        if total.total_tokens or total.cost_usd:
            st.plotly_chart(usage_ui.usage_figure(frame), width="stretch")
        else:
            st.caption("Only offline-engine calls so far: no tokens to chart.")
        breakdowns(frame)
        st.download_button("Download CSV", usage.csv_bytes(frame),
                           file_name="zoundzcope-token-usage.csv", mime="text/csv",
                           on_click="ignore", key="usage_csv")
    current = frame if not include_archived else frame[~frame["archived"]]
    if st.button("Reset counters", key="usage_reset", disabled=current.empty,
                 help="Archive the current records: totals restart from zero."):
        st.session_state[CONFIRM_KEY] = True
    if st.session_state.get(CONFIRM_KEY):
        confirm_reset(len(current))
    price_list()
except ZzError as error:
    st.error(str(error))
