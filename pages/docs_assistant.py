"""Docs Assistant: questions about mixing, mastering and the app, answered from the
bundled knowledge base (and the producer's own documents) with the passages cited."""

from __future__ import annotations

import streamlit as st

from ui import conversation, resources
from ui.auth import require_user
from zz_core.advise import answers
from zz_core.advise.providers import ProviderError
from zz_core.errors import ZzError
from zz_core.services import conversations
from zz_core.vocab import DOCUMENT_TYPES

user = require_user()
workspace = resources.workspace(user.id)
st.title("Docs Assistant")
st.caption("Ask about loudness, true peak, dynamics, EQ, low end, stereo, mastering chains, "
           "streaming platforms, or any page and number in this app. Answers cite the "
           "passages they use.")

index = resources.knowledge_index()
library = resources.user_library(user.id)
history: list[dict[str, object]] = st.session_state.setdefault("docs_history", [])


def your_documents() -> None:
    with st.expander(f"Your documents ({len(library.documents())})",
                     icon=":material/upload_file:"):
        st.caption("Markdown, text or PDF, up to 5 MB each. They are indexed for you alone "
                   "and searched together with the knowledge base.")
        upload = st.file_uploader("Add a document", type=list(DOCUMENT_TYPES),
                                  key="docs_upload")
        if upload is not None and st.button("Add to my documents"):
            try:
                added = library.add(upload.name, upload.getvalue())
                st.success(f"Added: {added.title}")
            except ZzError as error:
                st.error(f"Nothing was added. {error}")
        for document in library.documents():
            columns = st.columns([5, 1])
            columns[0].text(f"{document.title} ({document.doc_id})")
            if columns[1].button("Remove", key=f"remove_{document.doc_id}"):
                library.remove(document.doc_id)
                st.rerun()


def show_sources(sources: list[answers.Source], covered: bool) -> None:
    if not covered:
        return
    for number, source in enumerate(sources, start=1):
        with st.expander(f"[{number}] {source.citation} · {source.document} · score "
                         f"{source.score:.2f}"):
            st.text(source.text)


def show_history() -> None:
    for turn in history:
        with st.chat_message("user"):
            st.markdown(conversation.plain(str(turn["question"])))
        with st.chat_message("assistant"):
            st.markdown(conversation.plain(str(turn["answer"])))
            st.caption(conversation.provider_caption(str(turn["provider"]),
                                                     str(turn["model"])))
            show_sources(turn["sources"], bool(turn["covered"]))  # type: ignore[arg-type]


def ask(question: str) -> None:
    with st.chat_message("user"):
        st.markdown(conversation.plain(question))
    try:
        sources = answers.find_sources([index, library.index], question, top_k=3)
        config = conversation.current_config()
        reply = answers.reply_for(question, sources, config)
        with st.chat_message("assistant"):
            st.write_stream(conversation.plain_stream(reply))
    except ProviderError as error:
        st.error(f"{error} Nothing was saved; ask again, or choose the offline engine in "
                 "the sidebar.")
        return
    except (ZzError, ValueError) as error:
        st.error(str(error))
        return
    conversations.record_usage(workspace, reply, "docs", None, None)
    history.append({"question": question, "answer": reply.text.strip(),
                    "provider": reply.provider, "model": reply.model,
                    "sources": sources, "covered": answers.covered(sources)})
    st.rerun()


your_documents()
st.caption(f"Knowledge base: {len(index.doc_ids)} documents, {index.chunk_count} passages.")
show_history()
if history and st.button("Clear the conversation"):
    history.clear()
    st.rerun()
question = st.chat_input("Ask a question, e.g. why does Spotify turn my track down?",
                         max_chars=1000)
if question:
    ask(question)
