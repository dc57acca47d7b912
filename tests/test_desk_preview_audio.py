"""The desk's preview does not wait for the recordings (issue 27, item 5).

A preview build leaves the ``audio`` kind out (``Project.later``, threaded through ``pipeline.build`` to the
artefacts stage): its easy-read pages say the recordings are still being made and will be on the published site,
and no MP3 is made. Through the desk over HTTP, as a person asks for a preview.
"""

from __future__ import annotations

from desk_support import Person, make_publisher, running_desk
from test_desk_integrity import draft_of, providers_with_phone

from dps_publish.desk.drafts import DraftStore

LATER = "The recordings to listen to are still being made. They will be on the published site."


def test_the_preview_is_made_without_recordings_and_says_they_are_coming(tmp_path):
    publisher = make_publisher(tmp_path / "council")
    with running_desk(publisher) as desk:
        jo = Person(desk, "Jo Bloggs")
        draft = draft_of(jo.post("/drafts"))
        phone = providers_with_phone(publisher, "01622 000 555")
        checked = jo.post(f"/drafts/{draft}/upload", files=[("files", ("providers.csv", phone, "text/csv"))])
        assert "No problems found" in checked.text, checked.text[-2000:]
        jo.post(f"/drafts/{draft}/preview")
        done = jo.wait_for_job(draft, timeout=900)
        assert "The preview is ready" in done.text, done.text[-2000:]
        easy = jo.get(f"/preview/{draft}/easy-read/providers/hop-garden-makers/")
        assert easy.status_code == 200
        assert LATER in easy.text and "<audio" not in easy.text
        standard = jo.get(f"/preview/{draft}/providers/hop-garden-makers/")
        assert standard.status_code == 200 and "easy read booklet to print" in standard.text
        assert "to listen to (" not in standard.text and ".mp3" not in standard.text
        home = jo.get(f"/preview/{draft}/")
        assert LATER not in home.text, "only the pages that will have a recording say so"
    preview = DraftStore(publisher.drafts).get(draft).preview
    assert list(preview.rglob("*.pdf")) and not list(preview.rglob("*.mp3"))
