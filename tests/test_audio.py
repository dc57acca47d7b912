"""The easy-read pages read aloud (site/audio.py, site/speech.py, site/voice.py).

What is said is heard through the engine's own phonemes (``audio.phonemes``), never by playing the sound; the
recordings of the example are decoded by libsndfile (soundfile) and measured. No test downloads anything: the
wheel of hibari-tts holds only its American voice, so the British rules are shown with the British G2P the
wheel does hold, through a voice file the settings mark British.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import soundfile
from helpers import ROOT, THEME, build_site, project, set_cell

from dps_publish.problems import DataProblems
from dps_publish.settings import SettingsError, load_settings
from dps_publish.site.audio import AUDIO, phonemes
from dps_publish.site.contexts import AudioFile
from dps_publish.site.sitecheck import TextBlock
from dps_publish.site.speech import Pronunciation, spoken, spoken_lines
from dps_publish.site.voice import engine_folder, voice_of


def said(text: str, pronunciations=(), british: bool = False) -> str:
    """The engine's phonemes for a block of a page, as a recording says it."""
    return phonemes(spoken_lines([TextBlock(text, True, False)], pronunciations), british)


def plain(text: str, british: bool = False) -> str:
    """The engine's phonemes for words as they stand."""
    return phonemes([text], british)


# --- what is said -------------------------------------------------------------------------------------------------


def test_the_pronunciations_table_changes_what_is_said():
    table = (Pronunciation("Folkestone", "Folkstun"), Pronunciation("Faversham", "/fˈævəʃəm/"))
    without = said("Folkestone and Faversham.")
    with_table = said("Folkestone and Faversham.", table)
    assert without != with_table
    assert "fˈOkstˌOn" in without, "the engine alone says Folk-stone"
    assert plain("Folkstun") in with_table and "fˈOkstˌOn" not in with_table
    assert "fˈævəʃəm" in with_table and "fˈAvəɹʃˌæm" in without, "phonemes between slashes are said as written"
    assert plain("Folkstun") in said("Welcome to FOLKESTONE's library.", table), "whatever its capitals"


def test_the_example_fills_the_table_for_its_districts():
    with open(ROOT / "data" / "pronunciations.csv", encoding="utf-8") as f:
        words = {row["word"] for row in csv.DictReader(f)}
    assert {"Folkestone", "Hythe", "Tonbridge", "Malling", "Thanet", "Swale", "Faversham", "Sevenoaks"} <= words


def test_phone_numbers_are_said_digit_by_digit_in_their_groups():
    assert spoken("Call 01304 000 373.") == "Call zero one three zero four, zero zero zero, three seven three."
    heard = said("Call 01304 000 373.")
    assert heard == plain("Call zero one three zero four, zero zero zero, three seven three.")
    assert "θˈWzᵊnd" not in heard and "hˈʌndɹəd" not in heard, "never a thousand or a hundred"
    assert "θˈWzᵊnd" in plain("Call 01304 000 373."), "the engine alone reads it as an amount"
    assert spoken("Ring 111 if it is urgent.") == "Ring one one one if it is urgent."


def test_a_date_and_money_are_said_as_the_page_writes_them():
    heard = said("On 3 March 2026 the council paid £9,547,321.")
    assert "ðə θˈɜɹd ʌv mˈɑɹʧ" in heard, "day first, as the page writes it"
    assert "twˈɛnti twˈɛntisˌɪks" in heard
    assert plain("nine million, five hundred and forty-seven thousand, three hundred and twenty-one pounds") in heard
    assert spoken("It costs £9.50 a week.") == "It costs nine pounds and fifty pence a week."
    assert spoken("People aged 18 to 25.") == "People aged 18 to 25."
    assert spoken("People aged 18-25 and 26+.") == "People aged 18 to 25 and 26 and over."


def test_addresses_email_spelled_web_pointed_at():
    assert spoken("Email dps@kent.gov.uk today.") == "Email dps at kent dot gov dot uk today."
    assert spoken("Read www.kent.gov.uk/adults-care for more.") == "Read the web address on the page for more."
    assert spoken("Go to www.kent.gov.uk.") == "Go to kent dot gov dot uk."


def test_a_british_voice_speaks_by_british_rules(tmp_path):
    # The wheel holds no British voice file (the package downloads them; a build never does), so the package's
    # own model stands in, at a path the settings name and mark British: the G2P follows the setting.
    registry = json.loads((engine_folder() / "assets" / "voices.json").read_text(encoding="utf-8"))
    assert not any(v.get("bundled") and v["british"] for v in registry.values()), "a British voice in the wheel now"
    voice_file = tmp_path / "en_GB-voice.onnx"
    shutil.copyfile(engine_folder() / "assets" / "hibari.onnx", voice_file)
    british = voice_of({"AUDIO_VOICE": str(voice_file), "AUDIO_VOICE_ACCENT": "British"})
    assert british.british and not voice_of({}).british
    words = "The colour of the water in the harbour."
    assert said(words, british=british.british) != said(words, british=False)
    assert "kˈʌlə " in said(words, british=True) and "wˈɔːtə" in said(words, british=True)
    assert "kˈʌləɹ" in said(words, british=False)


# --- the voice setting --------------------------------------------------------------------------------------------


def _settings_with(tmp_path: Path, lines: str) -> Path:
    settings = tmp_path / "pelicanconf.py"
    settings.write_text((ROOT / "pelicanconf.py").read_text(encoding="utf-8") + "\n" + lines + "\n", encoding="utf-8")
    return settings


def test_a_missing_voice_file_is_a_settings_problem_in_words(tmp_path):
    with pytest.raises(SettingsError) as caught:
        load_settings(_settings_with(tmp_path, 'AUDIO_VOICE = "voices/en_GB-emma.onnx"'))
    (problem,) = [p for p in caught.value.problems if p.setting == "AUDIO_VOICE"]
    assert 'the voice file "voices/en_GB-emma.onnx" is not there' in problem.message
    assert "never downloads" in problem.message and "Traceback" not in str(caught.value)


def test_a_wrong_voice_file_is_a_settings_problem_in_words(tmp_path):
    voice_file = tmp_path / "voice.onnx"
    voice_file.write_bytes(b"not a voice")
    with pytest.raises(SettingsError) as caught:
        load_settings(_settings_with(tmp_path, f'AUDIO_VOICE = "{voice_file}"\nAUDIO_VOICE_SHA256 = "{"0" * 64}"'))
    (problem,) = [p for p in caught.value.problems if p.setting == "AUDIO_VOICE_SHA256"]
    assert "is not the file AUDIO_VOICE_SHA256 names" in problem.message
    with pytest.raises(SettingsError) as caught:
        load_settings(_settings_with(tmp_path, f'AUDIO_VOICE = "{voice_file}"'))
    assert "say which accent it speaks" in str(caught.value)


# --- the recordings of the example --------------------------------------------------------------------------------


def test_every_booklet_page_has_its_recording(example_build):
    output, result = example_build
    booklets, audio = result.artefacts.made["booklet"], result.artefacts.made["audio"]
    assert set(audio.files) == set(booklets.files) and audio.files
    for path, (recording,) in audio.files.items():
        assert isinstance(recording, AudioFile)
        assert recording.path == path + recording.path.rsplit("/", 1)[-1] and recording.path.endswith(".mp3")
        assert (output / recording.path).stat().st_size == recording.size
        assert recording.words == f"MP3, {recording.kilobytes:,} KB"
    assert AUDIO.words(audio).endswith("unchanged") and "recordings made" in AUDIO.words(audio)


def test_each_recording_decodes_mono_24_khz_a_sane_length_and_not_silent(example_build):
    output, result = example_build
    for recording, in result.artefacts.made["audio"].files.values():
        sound, rate = soundfile.read(output / recording.path, dtype="float32")
        assert sound.ndim == 1, f"{recording.path} is not mono"
        assert rate <= 24_000
        seconds = len(sound) / rate
        assert abs(seconds - recording.seconds) < 0.5, f"{recording.path}: {seconds} s, said to be {recording.seconds}"
        pace = recording.spoken_words / seconds
        assert 1.2 <= pace <= 3.5, f"{recording.path}: {pace:.2f} words a second"
        loudness = 20 * np.log10(np.sqrt(np.mean(sound ** 2)) + 1e-12)
        assert loudness > -40, f"{recording.path} is silent ({loudness:.1f} dBFS)"
        info = soundfile.info(output / recording.path)
        assert info.channels == 1 and info.format == "MP3"
        header = (output / recording.path).read_bytes()[:4]
        assert header[:2] in (b"\xff\xf3", b"\xff\xf2", b"\xff\xe3") or header[:3] == b"ID3"


def test_the_recordings_are_byte_identical_when_made_again(example_build, tmp_path):
    """The same spoken text, made in a fresh process by a fresh engine twice, is the build's file byte for byte."""
    output, result = example_build
    path, (recording,) = min(result.artefacts.made["audio"].files.items(), key=lambda item: item[1][0].size)
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT / "tests")!r})
        from helpers import ROOT, THEME, project
        from dps_publish.model.build import build_model
        from dps_publish.site.audio import _content_blocks, _Speaker, Line, Spoken, line_key, salt, settings_voice
        from dps_publish.site.booklets import BookletMaker
        from dps_publish.site.pages import site_pages
        from dps_publish.site.speech import pronunciations_of, spoken_lines
        from dps_publish.sources.validate import validate_folder
        import hashlib
        p = project(ROOT / "data", Path({str(tmp_path / "unused")!r}))
        tables = validate_folder(p.data, None).tables
        model = build_model(tables, example_data=p.settings.example_data, threshold=p.settings.small_number_threshold)
        page = next(x for x in site_pages(model) if x.path == {path!r})
        said = pronunciations_of(tables.get("pronunciations"))
        lines = spoken_lines(_content_blocks(BookletMaker(model, p.settings, THEME), page), said)
        voice = settings_voice(p.settings)
        digest = salt(voice, said)
        key = hashlib.sha256((digest + "\\n".join(lines)).encode()).hexdigest()
        spoken = Spoken(key, tuple(lines), tuple(line_key(digest, line) for line in lines))
        for n in (1, 2):
            folder = Path({str(tmp_path)!r}) / str(n)
            speaker = _Speaker(folder, voice)
            for line in reversed(spoken.lines):  # in another order than the build's: each line on its own
                speaker.say(Line(line_key(digest, line), line))
            speaker.record(spoken)
            print(folder / (key + ".mp3"))
    """)
    made = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-3000:]
    first, second = (Path(line) for line in made.stdout.split())
    assert first.read_bytes() == second.read_bytes() == (output / recording.path).read_bytes()


def test_audio_file_words():
    recording = AudioFile("easy-read/x/x-easy-read.mp3", 634_880, 100.2, 230)
    assert recording.words == "MP3, 620 KB"
    assert recording.duration_words == "1 minute 40 seconds"
    assert AudioFile("a.mp3", 10, 59.4, 100).duration_words == "59 seconds"
    assert AudioFile("a.mp3", 10, 120.0, 100).duration_words == "2 minutes"


def test_the_file_is_named_like_the_booklet(example_build):
    output, result = example_build
    for path, (booklet, *_) in result.artefacts.made["booklet"].files.items():
        (recording,) = result.artefacts.of("audio", path)
        if booklet.parts == 1:
            assert recording.path == booklet.path.removesuffix(".pdf") + ".mp3"


# --- the naming register, in a build ------------------------------------------------------------------------------


def test_a_naming_term_in_a_pronunciation_stops_the_build_naming_its_cell(data_copy, tmp_path):
    with open(data_copy / "pronunciations.csv", "a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(["Whitstable", "service user"])
    with pytest.raises(DataProblems) as caught:
        build_site(data_copy, tmp_path / "output")
    (problem,) = [p for p in caught.value.problems if p.file == "pronunciations.csv"]
    assert problem.column == "say_as" and problem.value == "service user" and problem.code == "naming-register"
    assert problem.row is not None
    assert '"service user"' in problem.message and "person who gets support" in problem.message
    text = str(problem)
    assert "pronunciations.csv" in text and "Traceback" not in text


# --- offline --------------------------------------------------------------------------------------------------------

SITECUSTOMIZE = '''
"""Refuses every connection that is not to this computer (loaded by Python at start, from PYTHONPATH)."""
import ipaddress
import socket

class Offline(OSError):
    pass

def _loopback(host):
    if host in ("localhost", None, ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False

_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
        raise Offline(f"refused: a connection to {address[0]} (this build may not reach the network)")
    return _connect(self, address)

def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
        raise Offline(f"refused: a connection to {address[0]} (this build may not reach the network)")
    return _connect_ex(self, address)

def getaddrinfo(host, *args, **kwargs):
    if not _loopback(host):
        raise Offline(f"refused: looking up {host} (this build may not reach the network)")
    return _getaddrinfo(host, *args, **kwargs)

socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
'''


@pytest.fixture(scope="module")
def offline(tmp_path_factory) -> dict[str, str]:
    """An environment whose Pythons refuse every connection but to this computer."""
    folder = tmp_path_factory.mktemp("offline")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}


def test_the_block_catches_a_deliberate_fetch(offline):
    script = textwrap.dedent("""
        import urllib.request
        from hibari import voices
        for attempt in (lambda: urllib.request.urlopen("https://example.org/", timeout=5),
                        lambda: voices.download(voices.BASE_URL + "bf_emma.int8.onnx", "/tmp/never.onnx", "0")):
            try:
                attempt()
            except Exception as exc:
                print("refused" if "this build may not reach the network" in repr(exc) + repr(exc.__cause__)
                      else f"other: {exc!r}")
            else:
                print("fetched")
    """)
    ran = subprocess.run([sys.executable, "-c", script], env=offline, capture_output=True, text=True, timeout=120)
    assert ran.stdout.split() == ["refused", "refused"], ran.stdout + ran.stderr[-2000:]


def test_the_build_passes_offline(offline, tmp_path, example_build):
    """The example's build, recordings and all, in a Python that refuses the network (the session's caches)."""
    output = tmp_path / "output"
    ran = subprocess.run([sys.executable, "-m", "dps_publish", "build", "--data", str(ROOT / "data"),
                          "--output", str(output), "--settings", str(ROOT / "pelicanconf.py"),
                          "--content", str(ROOT / "content"), "--cache", str(tmp_path / "cache")],
                         env=offline, capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-3000:]
    assert sorted(p.name for p in output.rglob("*.mp3")) == sorted(
        r.path.rsplit("/", 1)[-1] for (r,) in example_build[1].artefacts.made["audio"].files.values())


# --- the line cache -------------------------------------------------------------------------------------------------


def _audio_of(data: Path, cache: Path, out: Path, paths=None):
    """The recordings of ``data``'s easy-read pages (those at ``paths``, or all), made with the line cache ``cache``:
    (the stage's Made, the output folder, what the cache's work.json says)."""
    from dps_publish.model.build import build_model
    from dps_publish.site.audio import write_audio
    from dps_publish.site.booklets import booklet_pages
    from dps_publish.site.pages import site_pages
    from dps_publish.sources.validate import validate_folder

    p = project(data, cache.parent / "unused")
    tables = validate_folder(data, None).tables
    model = build_model(tables, example_data=p.settings.example_data, threshold=p.settings.small_number_threshold)
    pages = [page for page in booklet_pages(site_pages(model)) if paths is None or page.path in paths]
    made = write_audio(model, p.settings, THEME, out, pages, cache, tables=tables)
    return made, out, json.loads((cache / "work.json").read_text(encoding="utf-8"))


def test_an_edit_of_one_provider_says_only_its_new_lines(example_build, data_copy, tmp_path):
    """With the example's lines in the cache, renaming one provider says only the lines with its new name; each
    changed recording is its lines joined, one MP3 stream as long as its lines, byte for byte what an empty cache
    makes."""
    set_cell(data_copy / "providers.csv", 0, "name", "Oast House Makers CIC")
    shared = Path(os.environ["DPS_AUDIO_CACHE"])
    made, out, work = _audio_of(data_copy, shared, tmp_path / "edited")
    changed = made.rendered_files
    assert changed and made.rendered == len(changed) and made.reused > 10 * len(changed)
    # The lines that name the provider (its page's heading, its name on its district's list...), never a page's all.
    assert 0 < work["lines"] <= 12, work
    assert work["lines_known"] > 3 * work["lines"], f"the changed pages' other lines come from the cache: {work}"
    own = min(changed, key=lambda name: (out / name).stat().st_size)
    path = own.rsplit("/", 1)[0] + "/"
    sound, rate = soundfile.read(out / own, dtype="float32")
    (recording,) = made.files[path]
    assert rate == 24_000 and sound.ndim == 1 and abs(len(sound) / rate - recording.seconds) < 0.05
    fresh, fresh_out, fresh_work = _audio_of(data_copy, tmp_path / "empty", tmp_path / "fresh",
                                                paths={path})
    assert fresh_work["lines"] > work["lines"], "an empty cache says every line of the page"
    assert (fresh_out / own).read_bytes() == (out / own).read_bytes()
    again, _, _ = _audio_of(data_copy, shared, tmp_path / "again", paths={path})
    assert again.rendered == 0 and again.reused == 1


def test_a_recording_is_its_lines_joined_one_stream_each_line_its_length(tmp_path):
    """Segments joined decode as one stream: the whole is each segment decoded, and lasts their sum."""
    from dps_publish.site.audio import PAUSE_SECONDS, SAMPLE_RATE, encode, mp3_seconds

    rng = np.random.default_rng(1)
    lengths = (0.8, 2.5, 1.3)
    segments = []
    for seconds in lengths:
        t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        tone = (np.sin(2 * np.pi * 220 * t) * 6000 + rng.normal(0, 300, t.size)).astype("<i2")
        segments.append(encode(np.concatenate([tone, np.zeros(int(SAMPLE_RATE * PAUSE_SECONDS), "<i2")])))
    whole = b"".join(segments)
    (tmp_path / "whole.mp3").write_bytes(whole)
    sound, rate = soundfile.read(tmp_path / "whole.mp3", dtype="int16")
    parts = []
    for n, segment in enumerate(segments):
        (tmp_path / f"{n}.mp3").write_bytes(segment)
        part, _ = soundfile.read(tmp_path / f"{n}.mp3", dtype="int16")
        assert abs(len(part) / rate - (lengths[n] + PAUSE_SECONDS)) < 0.2, "within 0.2 s a line (encoder delay)"
        parts.append(part)
    assert len(sound) == sum(map(len, parts)) and len(sound) / rate == pytest.approx(mp3_seconds(len(whole)), abs=0.01)
    assert np.abs(sound.astype(int) - np.concatenate(parts)).max() <= 2


# --- letters the voice cannot say -----------------------------------------------------------------------------------

NASTY = {
    "北京护理中心": "words in another alphabet.",
    "Visit مركز الرعاية, then Иван Петров.": "Visit words in another alphabet, then words in another alphabet.",
    "Cafe\u0301\u0301\u0301 and x\u0300y": "Café and xy.",
    "£€$%&, 5 or 6": None,
    "1" * 40: " ".join(["one"] * 40) + ".",
    "It costs £1,000,000,000,000,000,000.": None,
    "\u200bHop\u202e Garden\ufeff ＭＡＫＥＲＳ ①": "Hop Garden MAKERS 1.",
    "Ω≈ç√∫ №5 ™ Ⅻ": None,
}


def test_odd_letters_are_said_sensibly_and_never_stop_the_engine(tmp_path):
    """Names from anywhere (a fuzzed build's providers): said, or said to be in another alphabet; never a crash."""
    from dps_publish.site.audio import Line, _Speaker, line_key, settings_voice

    blocks = [TextBlock(text, True, False) for text in NASTY]
    lines = spoken_lines(blocks)
    assert len(lines) == len(NASTY)
    for (text, expected), line in zip(NASTY.items(), lines):
        if expected is not None:
            assert line == expected, text
        assert not any(unicodedata.category(c) in ("Cf", "Mn") for c in line), line
    assert plain("words in another alphabet") in said("北京护理中心"), "the engine alone says nothing for it"
    assert phonemes(["北京护理中心."], False).strip(" .") == ""
    speaker = _Speaker(tmp_path, settings_voice(load_settings(ROOT / "pelicanconf.py")))
    for line in lines:
        recorded = speaker.say(Line(line_key("odd", line), line))
        sound, rate = soundfile.read(tmp_path / "lines" / f"{recorded.key}.mp3", dtype="float32")
        assert len(sound) / rate > 0.5 and np.sqrt(np.mean(sound ** 2)) > 1e-3, f"{line!r} is silent"
