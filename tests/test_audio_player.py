"""The easy-read recordings in front of a person (issue 27): the player, the links, the booklets' line, seeking.

From the example build (the session's one build): every easy-read page with a booklet shows a native player
(``<audio controls preload="none">``, never autoplay) named by the words above it ("Listen to this page,
1 minute 40 seconds") and a download link with the file's true size; its standard twin links the recording
under "Other formats"; its booklet says where to listen. The servers a person previews on answer HTTP Range
requests, so the player can seek: ``dps-publish serve``'s handler and the desk's preview, each run for real
and asked over HTTP. In Chromium, under the page's own Content-Security-Policy, the player is reached with Tab,
started and stopped from the keyboard, and seeks; axe-core and the Nu HTML Checker find nothing on its page.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import httpx
import lxml.html
import pytest
from browser import AXE_TAGS, launch_chromium, nu_check_pages, run_axe
from desk_support import Person, make_publisher, running_desk
from helpers import ROOT
from hosting import free_port, running

from dps_publish.settings import load_settings
from dps_publish.site.booklets import booklet_pages
from dps_publish.site.pages import artefact_pages
from dps_publish.site.pdftext import read_pdf

SIZE_WORDS = re.compile(r"\(MP3, ([\d,]+) KB\)")


def a_recording(path: Path, seconds: float = 6.0) -> bytes:
    """A real MP3 (mono, 24 kHz, 32 kbps, LAME through lameenc, as the recordings are): a quiet tone."""
    import array

    import lameenc

    rate = 24_000
    samples = array.array("h", (int(3000 * math.sin(2 * math.pi * 220 * i / rate)) for i in range(int(rate * seconds))))
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(2)
    data = encoder.encode(samples.tobytes()) + encoder.flush()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


# -- seeking: the servers answer Range requests ---------------------------------------------------------------------


def check_ranges(client: httpx.Client, address: str, data: bytes) -> None:
    """The answers a browser's player relies on to seek, and the refusal of a range past the end."""
    size = len(data)
    whole = client.get(address)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"].startswith("audio/mpeg")
    for asked, first, last in (("bytes=0-99", 0, 99), ("bytes=1000-", 1000, size - 1), ("bytes=-500", size - 500,
                                                                                          size - 1),
                               (f"bytes={size - 10}-{size + 1000}", size - 10, size - 1)):
        part = client.get(address, headers={"Range": asked})
        assert part.status_code == 206, (asked, part.status_code)
        assert part.headers["content-range"] == f"bytes {first}-{last}/{size}", asked
        assert int(part.headers["content-length"]) == last - first + 1, asked
        assert part.content == data[first:last + 1], asked
    past = client.get(address, headers={"Range": f"bytes={size}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"
    # A range on a file changed since (If-Range no longer matches) is the whole file, as RFC 9110 says.
    stale = client.get(address, headers={"Range": "bytes=0-99", "If-Range": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert stale.status_code == 200 and stale.content == data


def test_dps_publish_serve_answers_range_requests(tmp_path):
    """``dps-publish serve``'s server (site/serve.py) over real HTTP; before, it sent every file whole (200)."""
    site = tmp_path / "site"
    data = a_recording(site / "easy-read" / "x" / "x-easy-read.mp3")
    (site / "easy-read" / "x" / "index.html").write_text("<!DOCTYPE html><title>x</title>", encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-c", "import sys; from pathlib import Path; from dps_publish.site.serve import serve; "
               "serve(Path(sys.argv[1]), int(sys.argv[2]))", str(site), str(port)]
    with running(command, port, tmp_path / "serve.log", cwd=ROOT), httpx.Client(timeout=30) as client:
        base = f"http://127.0.0.1:{port}"
        check_ranges(client, f"{base}/easy-read/x/x-easy-read.mp3", data)
        # Pages and folders are served as before.
        assert client.get(f"{base}/easy-read/x/").status_code == 200
        moved = client.get(f"{base}/easy-read/x")
        assert moved.status_code == 301 and moved.headers["location"].endswith("/easy-read/x/")
        assert client.get(f"{base}/easy-read/nothing.mp3").status_code == 404
        assert client.get(f"{base}/easy-read/x/x-easy-read.mp3", headers={"Range": "bytes=0-1,5-6"}).status_code == 200


def test_the_desks_preview_answers_range_requests(tmp_path):
    """The desk's preview of a draft (desk/views/files.py: Starlette's FileResponse) over real HTTP."""
    publisher = make_publisher(tmp_path / "council")
    with running_desk(publisher) as desk:
        jo = Person(desk, "Jo Bloggs")
        draft = str(jo.post("/drafts").url).rstrip("/").rsplit("/", 1)[1]
        data = a_recording(publisher.drafts / draft / "preview" / "site" / "easy-read" / "x" / "x-easy-read.mp3")
        check_ranges(jo.client, f"/preview/{draft}/easy-read/x/x-easy-read.mp3", data)
        stranger = httpx.get(f"{desk}/preview/{draft}/easy-read/x/x-easy-read.mp3", headers={"Range": "bytes=0-9"})
        assert stranger.status_code in (303, 401, 403)  # signed in only, ranges or not


# -- the player, the links and the booklets of the example ----------------------------------------------------------


def recordings_of(result) -> dict:
    made = result.artefacts.made.get("audio")
    assert made is not None and made.files, "the build made no recordings (the 'audio' artefact kind)"
    return made.files


def test_every_easy_read_page_with_a_booklet_has_its_labelled_player_and_download(example_build):
    output, result = example_build
    recordings = recordings_of(result)
    pages = booklet_pages(artefact_pages(result.model, load_settings(ROOT / "pelicanconf.py"), ROOT / "content"))
    assert {p.path for p in pages} == set(recordings)
    for page in pages:
        root = lxml.html.document_fromstring((output / page.path / "index.html").read_bytes())
        players = root.xpath("//main//audio")
        assert len(players) == len(recordings[page.path]), page.path
        for audio, recording in zip(players, recordings[page.path]):
            mp3 = output / recording.path
            head = mp3.read_bytes()[:3]
            assert head == b"ID3" or (head[0] == 0xFF and head[1] & 0xE0 == 0xE0), mp3  # a tag or an MP3 frame
            assert audio.get("src") == "/" + recording.path, page.path
            assert audio.get("controls") is not None and audio.get("preload") == "none", page.path
            assert audio.get("autoplay") is None and audio.get("loop") is None, page.path
            label = root.get_element_by_id(audio.get("aria-labelledby"))
            words = " ".join(label.text_content().split())
            assert re.fullmatch(r"Listen to (part \d+ of )?this page, \d+ (minutes?|seconds?)( \d+ seconds?)?", words)
            assert words.endswith(recording.duration_words), (page.path, words)
            download = [a for a in root.xpath("//main//a[@type='audio/mpeg']") if a.get("href") == audio.get("src")]
            assert len(download) == 1, page.path
            text = " ".join(download[0].text_content().split())
            assert text.startswith("Download the recording ("), text
            assert int(SIZE_WORDS.search(text).group(1).replace(",", "")) == max(1, round(mp3.stat().st_size / 1024))
        # The standard twin offers the same recordings under "Other formats", after the booklet.
        twin = lxml.html.document_fromstring((output / page.twin / "index.html").read_bytes())
        other = twin.find_class("other-formats")
        assert other, page.twin
        hrefs = [a.get("href") for a in other[0].iter("a") if a.get("type") == "audio/mpeg"]
        assert hrefs == ["/" + r.path for r in recordings[page.path]], page.twin
        assert not twin.xpath("//audio"), page.twin  # the player is on the easy-read page
    linked = {output / r.path for files in recordings.values() for r in files}
    assert linked == set(output.rglob("*.mp3")), "a recording is written that no page links, or the other way"


def test_every_booklet_of_a_recorded_page_says_where_to_listen(example_build):
    output, result = example_build
    recordings = recordings_of(result)
    booklets = result.artefacts.made["booklet"].files
    for path in recordings:
        for booklet in booklets[path]:
            texts = read_pdf((output / booklet.path).read_bytes()).texts()
            at = texts.index("You can listen to this booklet at:")
            # The page's public address (where it can be read too), once.
            address = texts[at + 1].replace(" ", "")  # the PDF's text breaks a long address at its slashes
            assert address.startswith("https://") and address.endswith("/" + path), texts[at + 1]
            assert texts[at + 2] == "You can read it there too.", booklet.path
            assert texts[-1].startswith("Pictures by OpenMoji"), booklet.path


# -- in Chromium: keyboard, seeking, axe and the Nu checker ---------------------------------------------------------


@pytest.fixture(scope="module")
def served_example(example_build, tmp_path_factory):
    """The example site behind dps-publish serve's own server (it answers Range requests, so the player seeks)."""
    output = example_build[0]
    port = free_port()
    command = [sys.executable, "-c", "import sys; from pathlib import Path; from dps_publish.site.serve import serve; "
               "serve(Path(sys.argv[1]), int(sys.argv[2]))", str(output), str(port)]
    with running(command, port, tmp_path_factory.mktemp("serve") / "serve.log", cwd=ROOT):
        yield f"http://127.0.0.1:{port}"


def test_the_player_is_reached_worked_and_sought_by_keyboard_and_passes_axe_and_nu(example_build, served_example,
                                                                                   tmp_path):
    from playwright.sync_api import sync_playwright

    output, result = example_build
    path = next(p for p in sorted(recordings_of(result)) if p.startswith("easy-read/providers/"))
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(service_workers="block", viewport={"width": 375, "height": 800})
            page = context.new_page()
            refused = []
            page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(f"{served_example}/{path}")
            audio = page.locator("main audio")
            assert audio.evaluate("a => a.paused && a.readyState === 0")  # nothing loads until asked
            # Tab from the top of the page until the player has the focus.
            for _ in range(60):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement && document.activeElement.tagName") == "AUDIO":
                    break
            else:
                pytest.fail("Tab never reaches the player")
            # The media controls work from the keyboard: Space plays, Space pauses (Chromium's own controls).
            page.evaluate("() => { const a = document.querySelector('main audio'); a.muted = true; }")
            page.keyboard.press("Space")
            page.wait_for_function("() => !document.querySelector('main audio').paused", timeout=15_000)
            page.keyboard.press("Space")
            page.wait_for_function("() => document.querySelector('main audio').paused", timeout=15_000)
            # Seeking: once its length is known, the player moves to a point near the end and plays from there.
            page.wait_for_function("() => document.querySelector('main audio').readyState >= 1", timeout=15_000)
            duration = audio.evaluate("a => a.duration")
            assert duration > 5
            target = round(duration * 0.8, 1)
            audio.evaluate(f"a => {{ a.currentTime = {target}; }}")
            page.wait_for_function("() => !document.querySelector('main audio').seeking", timeout=15_000)
            assert abs(audio.evaluate("a => a.currentTime") - target) < 1.0
            seekable = audio.evaluate("a => a.seekable.length ? a.seekable.end(0) : 0")
            assert seekable >= duration - 1  # the server's Range answers make the whole recording seekable
            assert not refused, refused
            context.close()
            # axe-core, injected as a script of its own (so in a context that lets it in), on the same page.
            context = browser.new_context(bypass_csp=True, service_workers="block")
            page = context.new_page()
            page.goto(f"{served_example}/{path}")
            violations = run_axe(page, AXE_TAGS)
            assert violations == [], violations
            context.close()
        finally:
            browser.close()
    nu_check_pages([("player", (output / path / "index.html").read_text(encoding="utf-8"))], tmp_path / "pages")
