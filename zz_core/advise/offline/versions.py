"""What changed since the previous version, as the first feedback item of a new version:
what improved (the issues fixed, the figures better by at least their judging margin)
before what is left (what got worse, the new issues, the remaining ones). The words are
advice.yaml's ``notes.versions``; the figures are ``advise.changes``'s."""

from __future__ import annotations

from zz_core.advise.changes import change_text, previous_name
from zz_core.advise.feedback import FeedbackItem
from zz_core.advise.offline.findings import issue_title, lower_first
from zz_core.advise.offline.track import Track
from zz_core.fmt import join


def _names(track: Track, codes: list[str]) -> str:
    return join([lower_first(issue_title(track, code)) for code in codes
                 if code in track.book.issues])


def version_item(track: Track) -> FeedbackItem | None:
    """The changes since the previous version as one item; None when the track is no new
    version of another."""
    changes = track.result.changes
    if changes is None:
        return None
    values = {
        "previous": previous_name(changes),
        "fixed": _names(track, changes.fixed),
        "new": _names(track, changes.new),
        "remaining": _names(track, changes.remaining),
        "improved": "; ".join(change_text(c) for c in changes.trending("improved")),
        "regressed": "; ".join(change_text(c) for c in changes.trending("regressed")),
    }

    def note(part: str) -> str:
        return track.note("versions", part, values)

    insight = [note("fixed" if values["fixed"] else "nothing_fixed")]
    if values["improved"]:
        insight.append(note("improved"))
    left = [note(part) for part in ("regressed", "new", "remaining") if values[part]]
    if not (values["fixed"] or values["improved"] or left):
        left = [note("no_difference")]
    elif not values["remaining"]:
        left.append(note("none_left"))
    return FeedbackItem(insight=f"{note('title')}: {' '.join(insight)}",
                        suggestion=" ".join(left), issue_code=None, severity="info")
