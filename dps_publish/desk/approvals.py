"""Who may approve a draft: never someone who uploaded to it, only a person named in ``DESK_APPROVERS``."""

from __future__ import annotations

from .auth import name_key
from .drafts import Draft


def is_approver(who: str, approvers: tuple[str, ...]) -> bool:
    return name_key(who) in {name_key(a) for a in approvers}


def approvers_words(approvers: tuple[str, ...]) -> str:
    return ", ".join(approvers) or "nobody yet"


def approval_refusal(draft: Draft, who: str, approvers: tuple[str, ...]) -> str | None:
    """Why ``who`` may not approve ``draft``, in words; None when they may."""
    check = draft.check
    if draft.state == "published":
        return "This draft has already been published."
    if not check or check["problems"]:
        return "The tables have problems or have not been checked: there is nothing to approve yet."
    uploaded = {name_key(name) for name in draft.uploaders} | {name_key(draft.meta.get("created_by") or "")}
    if name_key(who) in uploaded:
        return ("You uploaded tables to this draft, so you cannot approve it yourself: someone else must check it. "
                "That is the point of a second pair of eyes.")
    if not is_approver(who, approvers):
        return (f"Only the people named in DESK_APPROVERS in the settings file can approve a draft "
                f"({approvers_words(approvers)}). "
                "Ask one of them.")
    if draft.approval is not None:
        return f"{draft.approval['by']} has already approved this draft."
    return None
