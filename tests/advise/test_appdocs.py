"""Reference pages generated from the app's data files: they hold the same figures the
app judges with, so they cannot drift."""

from __future__ import annotations

from zz_core.advise import appdocs, tokens
from zz_core.judge import genres, platforms
from zz_core.vocab import ISSUE_CODES


def _pages() -> dict[str, str]:
    return {d.doc_id: d.text for d in appdocs.generated_documents()}


def test_every_page_is_a_titled_markdown_document() -> None:
    pages = _pages()
    assert set(pages) == {appdocs.PREFIX + name for name in (
        "genre-targets.md", "track-contexts.md", "streaming-platforms.md", "issue-codes.md",
        "model-prices.md")}
    for text in pages.values():
        assert (text.startswith("# ") and "\n## " in text) or "| Model |" in text
        assert "{" not in text.replace("{}", "")  # no unrendered placeholder


def test_genre_targets_are_the_ones_the_app_uses() -> None:
    text = _pages()[appdocs.PREFIX + "genre-targets.md"]
    for genre in genres.list_genres():
        targets = genres.resolve_targets(genre.slug).targets
        section = text.split(f"## {genre.label} genre targets", 1)[1].split("\n## ", 1)[0]
        wanted = targets.integrated_lufs
        assert f"{wanted.min:.0f} to {wanted.max:.0f} LUFS" in section
        assert f"{targets.true_peak_dbtp_max:.1f} dBTP" in section
        assert f"mono below {targets.low_end.mono_below_hz:.0f} Hz" in section


def test_platform_targets_match_platforms_yaml() -> None:
    text = _pages()[appdocs.PREFIX + "streaming-platforms.md"]
    for platform in platforms.load_platforms():
        section = text.split(f"## {platform.name} loudness normalisation", 1)[1]
        assert f"Target: {platform.target_lufs:.0f} LUFS" in section.split("\n## ", 1)[0]


def test_every_issue_code_is_documented() -> None:
    text = _pages()[appdocs.PREFIX + "issue-codes.md"]
    for code in ISSUE_CODES:
        assert f"({code})\n\n" in text, code


def test_prices_page_lists_every_priced_model() -> None:
    text = _pages()[appdocs.PREFIX + "model-prices.md"]
    for model, price in tokens.default_prices().models.items():
        assert f"| {model} | ${price.input:.3f} | ${price.output:.3f} |" in text
