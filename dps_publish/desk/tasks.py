"""A draft's task list: each step of a round, its page and its status in words."""

from __future__ import annotations

from .drafts import Draft


def preview_ready(draft: Draft) -> bool:
    return (draft.meta.get("preview") or {}).get("data_digest") == draft.data_digest() and draft.preview.is_dir()


def task_list(draft: Draft) -> list[dict]:
    check = draft.check
    checked_ok = bool(check) and not check["problems"]
    problems = len(check["problems"]) if check else 0
    base = f"/drafts/{draft.id}"
    published = draft.state == "published"

    def status(done: bool, possible: bool, words_done: str = "Completed", words_todo: str = "Not yet started"):
        if done:
            return {"text": words_done, "tag": None}
        if not possible:
            return {"text": "Cannot start yet", "tag": "grey"}
        return {"text": words_todo, "tag": "blue"}

    uploads = len(draft.uploads)
    return [
        {"name": "Upload the tables", "href": f"{base}/upload",
         "hint": f"{uploads} file{'s' if uploads != 1 else ''} uploaded so far. You can upload more at any time.",
         "status": status(uploads > 0, True, "Completed", "Not yet started")},
        {"name": "Check them", "href": f"{base}/check",
         "hint": ("No problems found." if checked_ok else
                  f"{problems} problem{'s' if problems != 1 else ''} to fix." if check else "Not checked yet."),
         "status": ({"text": f"{problems} problem{'s' if problems != 1 else ''}", "tag": "red"} if check and problems
                    else status(checked_ok, True, "No problems", "Not checked yet"))},
        {"name": "See what will change", "href": f"{base}/changes",
         "hint": "The changes in plain words, against what is published now.",
         "status": status(checked_ok and draft.meta.get("seen_changes") == draft.data_digest(), checked_ok,
                          "Seen", "Ready to read")},
        {"name": "Preview", "href": f"{base}/preview",
         "hint": "Every page as it will be, standard and easy read, before anyone else sees it.",
         "status": status(preview_ready(draft), checked_ok, "Ready", "Not built yet")},
        {"name": "Ask for a check and approve", "href": f"{base}/approval",
         "hint": "Someone other than the person who uploaded checks the draft.",
         "status": status(draft.approval is not None or published, checked_ok,
                          "Approved", "Waiting for a check" if draft.state == "awaiting-check" else "Not asked yet")},
        {"name": "Publish", "href": f"{base}/publish", "hint": "Build the site and the open data from this draft.",
         "status": status(published, checked_ok, "Published", "Not published yet")},
    ]
