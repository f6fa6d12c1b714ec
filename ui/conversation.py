"""Feedback, follow-up chat, summaries and album narratives on the pages.

Replies stream into ``st.chat_message`` blocks and are kept (with their token usage) only
once complete; a failed call shows its message with Retry and, when allowed, an offline
fallback, and stores nothing. Model and user text is shown as plain text: markdown
punctuation is escaped and HTML is never enabled.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

import streamlit as st

from ui import resources, settings
from zz_core.advise import offline
from zz_core.advise.assistant import as_feedback
from zz_core.advise.feedback import ChatTurn, Feedback, FeedbackItem, PassageLike, parse_items
from zz_core.advise.prompts import needs_summary
from zz_core.advise.providers import ENDPOINT_PRESETS, ProviderConfig, ProviderError, Reply
from zz_core.judge.album import CohesionSummary
from zz_core.judge.models import AnalysisResult
from zz_core.services import conversations
from zz_core.services.conversations import MessageRecord, as_turns
from zz_core.services.workspace import Workspace
from zz_core.text import escape_markdown
from zz_core.vocab import PROFILES, Profile, Stage

SEVERITY_BADGE = {"critical": ":red-badge[:material/error: Critical]",
                  "warning": ":orange-badge[:material/warning: Warning]",
                  "info": ":blue-badge[:material/info: Info]"}
NOTE_BADGE = ":gray-badge[:material/lightbulb: Note]"
PROVIDER_LABELS = {"offline": "Offline engine (no key needed)", "openai": "OpenAI",
                   "compatible": "OpenAI-compatible endpoint"}
PROFILE_LABELS = {"simple": "Simple: tips only", "detailed": "Detailed: with explanations",
                  "pro": "Pro: precise and technical"}
CUSTOM_ENDPOINT = "Custom URL"

PassageFinder = Callable[[AnalysisResult, str], list[PassageLike]]


def plain(text: str) -> str:
    """Text that ``st.markdown`` shows exactly as written (no links, images or markup)."""
    return escape_markdown(text)


def plain_stream(reply: Reply) -> Iterator[str]:
    for piece in reply:
        yield plain(piece)


# --------------------------------------------------------------------------- provider


def profile_picker(key: str, label: str = "Feedback profile") -> Profile:
    """How technical the feedback should be."""
    choice: Profile = st.radio(label, PROFILES, format_func=PROFILE_LABELS.__getitem__,
                               horizontal=True, key=key)
    return choice


def provider_panel() -> None:
    """The sidebar's AI settings: provider, model, endpoint, key (kept in this browser
    session only, never stored), and whether to fall back to the offline engine."""
    base = settings.llm_config()
    with st.sidebar.expander("AI feedback settings", icon=":material/smart_toy:"):
        providers = list(PROVIDER_LABELS)
        provider = st.selectbox("Provider", providers, index=providers.index(base.provider),
                                format_func=PROVIDER_LABELS.__getitem__, key="llm_provider")
        if provider == "offline":
            st.caption("Rules and templates written from the analysis: deterministic, free, "
                       "and not a language model.")
            st.session_state["llm_config"] = base.with_overrides(provider="offline",
                                                                 model="zz-offline-1")
            return
        default_model = base.model if base.provider != "offline" else "gpt-4o-mini"
        model = st.text_input("Model", value=default_model, max_chars=128, key="llm_model")
        base_url = _endpoint_choice(base) if provider == "compatible" else None
        key = st.text_input("API key", type="password", key="llm_key",
                            placeholder="configured" if base.api_key else "paste a key",
                            help="Used for this browser session only; never stored. Set "
                                 "OPENAI_API_KEY or [llm] api_key in secrets to configure "
                                 "it for everyone.")
        st.checkbox("Offer the offline engine if the model fails", value=True,
                    key="llm_fallback")
        st.session_state["llm_config"] = base.with_overrides(
            provider=provider, model=model.strip(), base_url=base_url, api_key=key.strip())


def _endpoint_choice(base: ProviderConfig) -> str | None:
    options = [*ENDPOINT_PRESETS, CUSTOM_ENDPOINT]
    known = {url: name for name, url in ENDPOINT_PRESETS.items()}
    start = options.index(known.get(base.base_url or "", CUSTOM_ENDPOINT))
    name = st.selectbox("Endpoint", options, index=start, key="llm_endpoint")
    if name == CUSTOM_ENDPOINT:
        return st.text_input("Base URL", value=base.base_url or "", max_chars=300,
                             key="llm_base_url").strip() or None
    return ENDPOINT_PRESETS[name]


def current_config() -> ProviderConfig:
    config = st.session_state.get("llm_config")
    return config if isinstance(config, ProviderConfig) else settings.llm_config()


def _fallback_allowed() -> bool:
    return bool(st.session_state.get("llm_fallback", True))


def knowledge_passages(user_id: int) -> PassageFinder:
    """Passages of the knowledge base (and the user's documents) that cover a follow-up
    question and are about it, so an answer can cite a tutorial; none when nothing does
    (the same choice as the command line's ``chat``)."""
    def find(result: AnalysisResult, question: str) -> list[PassageLike]:
        indexes = [resources.knowledge_index(), resources.user_library(user_id).index]
        return list(conversations.question_passages(indexes, result, question))
    return find


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Job:
    """A reply to produce on this run: which stage, for what, and by which engine."""

    stage: Stage
    scope: str  # "track:<id>" or "album:<ids>"
    question: str | None = None
    offline: bool = False


def _queue(job: Job) -> None:
    st.session_state["llm_job"] = job


def _take_job(scope: str) -> Job | None:
    job = st.session_state.get("llm_job")
    if isinstance(job, Job) and job.scope == scope:
        del st.session_state["llm_job"]
        return job
    return None


def _stream(job: Job, make: Callable[[ProviderConfig], Reply], *,
            transient: bool = False) -> Reply | None:
    """Produce a reply in a chat bubble (cleared afterwards when ``transient``, for a
    caller that shows the stored result itself); on failure keep the error for
    ``error_panel``."""
    config = current_config()
    if job.offline:
        config = config.with_overrides(provider="offline", model="zz-offline-1")
    placeholder = st.empty()
    try:
        reply = make(config)
        with placeholder.container(), st.chat_message("assistant"):
            st.write_stream(plain_stream(reply))
    except ProviderError as error:
        placeholder.empty()
        st.session_state["llm_error"] = (job, str(error), error.retryable)
        return None
    if transient:
        placeholder.empty()
    return reply


def error_panel(scope: str, stages: tuple[Stage, ...]) -> None:
    """The last failure of these stages for this scope, with Retry and the offline
    fallback."""
    failed = st.session_state.get("llm_error")
    if not failed or failed[0].scope != scope or failed[0].stage not in stages:
        return
    job, message, retryable = failed
    st.error(f"{message} Nothing was saved.")
    columns = st.columns(3)
    if columns[0].button("Retry", key=f"retry_{scope}", icon=":material/refresh:"):
        del st.session_state["llm_error"]
        _queue(job)
        st.rerun()
    if _fallback_allowed() and columns[1].button("Use the offline engine",
                                                 key=f"fallback_{scope}"):
        del st.session_state["llm_error"]
        _queue(Job(job.stage, job.scope, job.question, offline=True))
        st.rerun()
    if not retryable:
        columns[2].caption("Check the AI feedback settings in the sidebar.")


# --------------------------------------------------------------------------- rendering


def feedback_cards(feedback: Feedback | None, text: str | None = None,
                   issues: Collection[str] = ()) -> None:
    """Items as cards; a reply that did not parse is shown as it was written. An item
    about one of ``issues`` (codes the issue list above shows, with their figures and
    places) leads with what to do; what it observed, which repeats the issue's figures,
    stays folded under "What it is based on"."""
    items: list[FeedbackItem] = feedback.items if feedback else parse_items(text or "")
    if not items:
        st.markdown(plain(feedback.text if feedback else text or ""))
        return
    for item in items:
        with st.container(border=True):
            badge = SEVERITY_BADGE.get(item.severity or "", NOTE_BADGE)
            code = f" {item.issue_code.replace('_', ' ')}" if item.issue_code else ""
            if item.issue_code in issues:
                st.markdown(f"{badge}{code}: what to do")
                st.markdown("**→** " + plain(item.suggestion))
                with st.expander("What it is based on", icon=":material/notes:"):
                    st.markdown(plain(item.insight))
                continue
            st.markdown(f"{badge}{code}")
            st.markdown(plain(item.insight))
            st.markdown("**→** " + plain(item.suggestion))


def provider_caption(provider: str | None, model: str | None) -> str:
    if provider == "offline":
        return "Written by the offline engine (rules and templates, not a language model)."
    return f"Written by {model or 'a language model'} ({provider or 'unknown provider'})."


# --------------------------------------------------------------------------- track


def feedback_section(workspace: Workspace, result: AnalysisResult, *, track_id: int,
                     project_id: int, profile: Profile, name: str,
                     auto: bool = False, passages: PassageFinder | None = None) -> None:
    """Feedback on one track, then its follow-up thread and the chat input."""
    scope = f"track:{track_id}"
    st.subheader("Feedback")
    config = current_config()
    if config.offline:
        st.info("Offline engine: written from the analysis by rules and templates, not by "
                "a language model. Choose a provider under AI feedback settings in the "
                "sidebar for model-written feedback.", icon=":material/offline_bolt:")
    job = _take_job(scope)
    messages = conversations.thread(workspace, track_id)
    feedbacks = [m for m in messages if m.kind == "feedback"]
    if job is None and auto and not feedbacks:
        job = Job("feedback", scope)
    if job is not None and job.stage == "feedback":
        reply = _stream(job, lambda c: conversations.feedback_reply(c, result, profile, name),
                        transient=True)
        if reply is not None:
            conversations.save_reply(workspace, reply, kind="feedback", stage="feedback",
                                     project_id=project_id, track_id=track_id)
            messages = conversations.thread(workspace, track_id)
            feedbacks = [m for m in messages if m.kind == "feedback"]
    if feedbacks:
        latest = feedbacks[-1]
        st.caption(provider_caption(latest.provider, latest.model))
        feedback_cards(None, latest.content, {i.code for i in result.issues})
    label = "Write new feedback" if feedbacks else "Get feedback"
    if st.button(label, key=f"feedback_{scope}", icon=":material/auto_awesome:"):
        _queue(Job("feedback", scope))
        st.rerun()
    error_panel(scope, ("feedback",))
    follow_up_section(workspace, result, messages, scope=scope, track_id=track_id,
                      project_id=project_id, profile=profile, name=name, job=job,
                      passages=passages)


def follow_up_section(workspace: Workspace, result: AnalysisResult,
                      messages: list[MessageRecord], *, scope: str, track_id: int,
                      project_id: int, profile: Profile, name: str, job: Job | None,
                      passages: PassageFinder | None) -> None:
    """The follow-up thread of a track (``messages``: its stored conversation) and the
    chat input."""
    st.subheader("Follow-up questions")
    thread = [m for m in messages if m.kind in ("follow_up", "summary")]
    for message in thread:
        if message.kind == "summary":
            with st.expander("Summary of the conversation so far", icon=":material/notes:"):
                st.markdown(plain(message.content))
            continue
        with st.chat_message("user" if message.role == "user" else "assistant"):
            st.markdown(plain(message.content))
    chip = _suggestions(result, profile, scope)
    asked = st.chat_input("Ask about this track", key=f"chat_{scope}", max_chars=2000)
    question = asked or chip or (job.question if job and job.stage == "follow_up" else None)
    if question:
        with st.chat_message("user"):
            st.markdown(plain(question))
        _answer(workspace, result, Job("follow_up", scope, question,
                                       offline=bool(job and job.offline)),
                as_turns(messages), as_turns(thread), track_id, project_id, profile, name,
                passages)
    elif job is not None and job.stage == "summary":
        _summarise(workspace, job, as_turns(thread), track_id, project_id)
    if thread and st.button("Summarise the thread", key=f"summarise_{scope}",
                            icon=":material/summarize:"):
        _queue(Job("summary", scope))
        st.rerun()
    error_panel(scope, ("follow_up", "summary"))


def _suggestions(result: AnalysisResult, profile: Profile, scope: str) -> str | None:
    questions = offline.suggested_questions(result.context, result.genre.display_label,
                                            profile, [i.code for i in result.issues])
    if not questions:
        return None
    st.caption("Suggested questions")
    columns = st.columns(2)
    picked = None
    for index, question in enumerate(questions):
        if columns[index % 2].button(question, key=f"suggest_{scope}_{index}",
                                     width="stretch"):
            picked = question
    return picked


def _answer(workspace: Workspace, result: AnalysisResult, job: Job, turns: list[ChatTurn],
            follow_ups: list[ChatTurn], track_id: int, project_id: int, profile: Profile,
            name: str, passages: PassageFinder | None) -> None:
    """Answer a question about the track (``turns``: its whole conversation, feedback
    included; ``follow_ups``: the questions, answers and summaries alone), keep both, and
    summarise once four questions have gathered since the last summary."""
    question = job.question or ""
    found = passages(result, question) if passages else []
    reply = _stream(job, lambda c: conversations.follow_up_reply(
        c, result, profile, turns, question, name=name, passages=found))
    if reply is None:
        st.rerun()
        return
    conversations.save_reply(workspace, reply, kind="follow_up", stage="follow_up",
                             project_id=project_id, track_id=track_id, question=question)
    follow_ups = [*follow_ups, ChatTurn(role="user", content=question),
                  ChatTurn(role="assistant", content=reply.text.strip())]
    if needs_summary(follow_ups):
        _summarise(workspace, Job("summary", job.scope, offline=job.offline), follow_ups,
                   track_id, project_id)
    st.rerun()


def _summarise(workspace: Workspace, job: Job, turns: list[ChatTurn], track_id: int,
               project_id: int) -> None:
    """Summarise the follow-up ``turns`` (earlier summaries included) and keep it."""
    reply = _stream(job, lambda c: conversations.summary_reply(c, turns))
    if reply is not None:
        conversations.save_reply(workspace, reply, kind="summary", stage="summary",
                                 project_id=project_id, track_id=track_id)
    st.rerun()


# --------------------------------------------------------------------------- album


def album_section(workspace: Workspace, named: list[tuple[str, AnalysisResult]],
                  cohesion: CohesionSummary, profile: Profile, project_id: int,
                  selection: tuple[int, ...]) -> Feedback | None:
    """The cohesion narrative for the selected tracks (kept for this browser session and
    stored with the first track's session); returns it for the report."""
    scope = "album:" + ",".join(map(str, selection))
    narratives: dict[str, Feedback] = st.session_state.setdefault("album_narratives", {})
    job = _take_job(scope)
    if job is not None:
        reply = _stream(job, lambda c: conversations.album_reply(c, named, cohesion, profile),
                        transient=True)
        if reply is not None:
            conversations.save_reply(workspace, reply, kind="comparison", stage="comparison",
                                     project_id=project_id)
            narratives[scope] = as_feedback(reply)
    narrative = narratives.get(scope)
    if narrative is not None:
        st.caption(provider_caption(narrative.provider, narrative.model))
        feedback_cards(narrative)
    if st.button("Write the album narrative", key=f"narrative_{scope}",
                 icon=":material/auto_awesome:"):
        _queue(Job("comparison", scope))
        st.rerun()
    error_panel(scope, ("comparison",))
    return narrative
