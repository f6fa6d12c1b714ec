"""``issue_reference``: every issue code explained for the documentation, with figures
named instead of measured."""

from __future__ import annotations

from zz_core.advise.offline.book import load_advice, render
from zz_core.vocab import CONTEXTS, ISSUE_CODES, Profile

_GENERIC_FIGURES = {
    "amount_db": "the amount shown", "ceiling": "the ceiling", "ceiling_db": "the ceiling",
    "where": "the marked times", "genre": "the genre", "mono_below_hz": "the genre's mono "
    "frequency", "louder_side": "the louder side", "freq_hz": "the marked frequency",
    "region": "the marked region", "margin": "the margin shown",
}


_CONTEXT_LEADS = {"mixdown": "For a mixdown", "mastering": "When mastering",
                  "master": "For a finished master"}


class _GenericFigures(dict[str, str]):
    """Placeholder values for documentation: words instead of measurements."""

    def __missing__(self, key: str) -> str:
        return _GENERIC_FIGURES.get(key, "the " + key.replace("_", " "))


def issue_reference(profile: Profile = "detailed") -> list[tuple[str, str, str]]:
    """(code, title, Markdown body) for every issue code: why it matters and how to fix
    it in each context, with figures named instead of measured (for the docs)."""
    book = load_advice()
    figures = _GenericFigures()
    entries: list[tuple[str, str, str]] = []
    for code in ISSUE_CODES:
        advice = book.issues[code]
        lines = [render(advice.why.pick("master", profile), figures), ""]
        fixes = {context: render(advice.fix.pick(context, profile), figures)
                 for context in CONTEXTS}
        if len(set(fixes.values())) == 1:
            lines.append(f"How to fix it: {fixes['master']}")
        else:
            lines += [f"- {_CONTEXT_LEADS[context]}: {text}" for context, text in fixes.items()]
        entries.append((code, advice.title.pick(profile), "\n".join(lines)))
    return entries
