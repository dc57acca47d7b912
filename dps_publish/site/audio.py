"""Audio, the second kind of per-page artefact: each easy-read page a person takes away, read aloud as an MP3.

The pages are the booklets' pages (``booklets.booklet_pages``). Each recording says the page's own content as
its template renders it (the same rendered blocks its booklet is made from, web-only points left out), block by
block in reading order, made ready to be said right by ``site/speech.py`` (phone numbers digit by digit, dates
and money as the page writes them, the ``pronunciations`` table). The speech engine is ``hibari-tts``, offline,
in the voice the settings name (``site/voice.py``); the engine is handed the voice file itself, so its download
is never reached. The sound is encoded by LAME (``lameenc``): MP3, mono, 24 kHz, a constant 24 kbps (``BITRATE_KBPS``).

A recording is kept in the artefact cache (``artefacts/audios``) under a digest of what it says (the spoken
text, with the pronunciations applied), the pronunciations table, the voice file's sha256, this code and the
engine's, onnxruntime's and the encoder's versions: two builds make byte-identical files (the engine's noise is
seeded from each line's own words). Each line is said once, ever, however many pages and builds say it (the
example's 2,608 blocks are 703 different lines: districts repeat their providers' points): it is kept in the cache
as its own MP3 segment (``audios/lines/<line key>.mp3``, its pause included), and a recording is its lines'
segments joined (see ``_Speaker``). So an edit says only the lines it changed. Lines are said two at a time,
each worker with one onnxruntime thread, in forkserver workers (a process that ran onnxruntime's threads is
never forked).

A pronunciation that says a naming-register term stops the build, naming its cell.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..background import in_workers
from ..cache import code_digest, model_fingerprinter, templates_digest
from ..files import write_atomically
from ..model.publishable import SiteView
from ..problems import BuildError, DataProblems, Problem
from ..settings import PublishSettings, SettingProblem, SettingsError
from .artefact import Made, page_fingerprint, place
from .booklets import BookletMaker, booklet_file_name, booklet_pages
from .contexts import AudioFile, Page
from .sitecheck import TextBlock, check_blocks, term_patterns
from .speech import Pronunciation, page_lines, pronunciations_of, spoken_lines, spoken_word_count
from .voice import Voice, VoiceProblem, voice_of

SAMPLE_RATE = 24_000  # the engine's own rate: MPEG-2 Layer III takes it as it is
# A speech bitrate, constant: 3 KB a second. 32 kbps would make the example's 2 hours of speech 29 MB, over the
# 25 MB it may add to the site; 24 kbps is the least the issue allows, and clear for one voice.
BITRATE_KBPS = 24
SPEED = 1.0  # the engine's own pace: about 2.5 words a second
PAUSE_SECONDS = 0.3  # after each block (a heading, a point), besides the engine's own pauses between sentences
SEED = 2026  # the engine's noise: the same every build


@dataclass(frozen=True)
class Spoken:
    key: str
    lines: tuple[str, ...]
    line_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recorded:
    key: str
    size: int
    seconds: float
    work: float = 0.0  # seconds of processor time it took to make (0 when taken from the cache)


class AudioKind:
    """Recordings, as the ``artefacts`` stage runs every kind (``site/artefact.py``)."""

    name = "audio"

    def chosen(self, pages: Iterable[Page]) -> list[Page]:
        return booklet_pages(pages)

    def words(self, made: Made) -> str:
        return f"{made.rendered} recordings made, {made.reused} unchanged"

    def write(self, model, settings, theme, out, pages, cache=None, tables=None) -> Made:
        return write_audio(model, settings, theme, out, pages, cache, tables=tables)


AUDIO = AudioKind()


def audio_file_name(page: Page) -> str:
    """The booklet's name, as an MP3: easy-read/providers/x/ holds x-easy-read.pdf and x-easy-read.mp3."""
    return booklet_file_name(page).removesuffix(".pdf") + ".mp3"


def settings_voice(settings: PublishSettings) -> Voice:
    """The voice the settings name; a ``SettingsError`` in words when it cannot be used."""
    try:
        return voice_of(settings.pelican)
    except VoiceProblem as problem:
        raise SettingsError("the settings file", [SettingProblem("the settings file", None, problem.setting,
                                                                 "setting-invalid", problem.value, str(problem))])


def engine_versions() -> str:
    from importlib.metadata import version

    return " ".join(f"{name} {version(name)}" for name in ("hibari-tts", "onnxruntime", "lameenc", "numpy"))


def salt(voice: Voice, pronunciations: tuple[Pronunciation, ...]) -> str:
    """Everything besides its spoken text that a recording is made from."""
    from . import speech

    digest = hashlib.sha256()
    digest.update(f"{engine_versions()} {voice.digest} {voice.british} {SAMPLE_RATE} {BITRATE_KBPS} {SPEED} "
                  f"{PAUSE_SECONDS} {SEED}".encode())
    digest.update(repr([(p.word, p.say_as) for p in pronunciations]).encode())
    digest.update(Path(__file__).read_bytes() + Path(speech.__file__).read_bytes())
    return digest.hexdigest()


# --- the engine -------------------------------------------------------------------------------------------------


def engine(voice: Voice, threads: int = 1):
    """The speech engine with ``voice``'s own file (never the engine's download) and its accent's G2P."""
    from hibari import Hibari
    from hibari.g2p import G2P

    return Hibari(voice="heart", model=str(voice.path), threads=threads, g2p=G2P(british=voice.british))


def engine_vocabulary() -> frozenset[str]:
    """The phoneme letters the engine says (its ``vocab.json``)."""
    from .voice import engine_folder

    return frozenset(json.loads((engine_folder() / "assets" / "vocab.json").read_text(encoding="utf-8")))


def phonemes(lines: Iterable[str], british: bool) -> str:
    """What the engine will say for ``lines``, as its phonemes: how the tests hear a recording without playing it."""
    from hibari import Hibari

    g2p = _g2p(british)
    return " ".join(g2p(sentence) for line in lines for sentence in Hibari.split_sentences(line))


@functools.cache
def _g2p(british: bool):
    from hibari.g2p import G2P

    return G2P(british=british)


def line_key(salt_digest: str, line: str) -> str:
    return hashlib.sha256(f"{salt_digest}\0{line}".encode()).hexdigest()


@dataclass(frozen=True)
class Line:
    """One block's words to say, kept in the cache as its own MP3 segment (``lines/<key>.mp3``) under its key."""

    key: str
    text: str


FRAME_SAMPLES = 576  # an MPEG-2 Layer III frame
FRAME_BYTES = 72 * BITRATE_KBPS * 1000 // SAMPLE_RATE  # constant bitrate, no padding: 72 bytes at 24 kbps, 24 kHz


def encode(pcm) -> bytes:
    """16-bit mono sound at ``SAMPLE_RATE`` as MP3: constant ``BITRATE_KBPS``, no tag frame, so segments join."""
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE_KBPS)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_out_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(2)
    return bytes(encoder.encode(pcm.tobytes()) + encoder.flush())


def mp3_seconds(size: int) -> float:
    """How long a constant-bitrate MP3 of ``size`` bytes plays (as a decoder gives it: whole frames)."""
    return round(size // FRAME_BYTES * FRAME_SAMPLES / SAMPLE_RATE, 2)


class _Speaker:
    """Says lines and makes recordings of them; each worker makes its own engine, with one onnxruntime thread.

    A line is said once however many pages say it (a district's list repeats its providers' points, and every
    page has "Words to know"), with the engine's noise seeded from the line itself, so a line sounds the same on
    every page and in every build. Each line, with its pause after it, is encoded on its own and kept in the
    cache (``lines/<key>.mp3``, about 3 KB a second); a recording is its lines' segments one after another.

    Joining is sound: LAME writes constant-bitrate frames with no tag frame, each segment's first frame starts
    with an empty bit reservoir (``main_data_begin`` 0), so no frame refers to another segment; the decoded
    whole is the segments decoded one by one, to within one step of the 16 bits. Each segment carries the
    encoder's delay and padding (about 0.06 s of silence, at its start and end), a little more pause between
    blocks. So an edit that changes one provider's name says only the lines that name it, and a page made of
    lines already said costs a file read."""

    def __init__(self, folder: Path, voice: Voice):
        self.folder, self.lines, self.voice = folder, folder / "lines", voice
        self._engine = None

    def __getstate__(self):
        return {**self.__dict__, "_engine": None}

    def __call__(self, job: Line) -> Recorded:
        try:
            return self.say(job)
        except Exception as exc:  # noqa: BLE001 - the engine's errors come back as words, never a traceback
            raise BuildError(f'the line "{job.text[:80]}" could not be said ({type(exc).__name__}: {exc}). '
                             "Tell the publisher's maintainers; the build can be run again without recordings "
                             "meanwhile.") from None

    def say(self, line: Line) -> Recorded:
        import time

        import numpy as np

        started = time.process_time()
        if self._engine is None:
            self._engine = engine(self.voice)
        tts = self._engine
        rng = np.random.default_rng(int(line.key[:16], 16) ^ SEED)
        parts = [tts.from_ids(tts.ids(chunk), SPEED, rng) for chunk in tts.phonemize(line.text)]
        sound = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        pcm = (np.clip(sound, -1.0, 1.0) * 32767.0).astype("<i2")
        pause = np.zeros(int(SAMPLE_RATE * PAUSE_SECONDS), "<i2")
        mp3 = encode(np.concatenate([pcm, pause]))
        self.lines.mkdir(parents=True, exist_ok=True)
        write_atomically(self.lines / f"{line.key}.mp3", mp3)
        return Recorded(line.key, len(mp3), mp3_seconds(len(mp3)), time.process_time() - started)

    def has_line(self, key: str) -> bool:
        return (self.lines / f"{key}.mp3").is_file()

    def record(self, spoken: Spoken) -> Recorded:
        """The recording of ``spoken``: its lines' segments, joined (no engine, no encoder: a few file reads)."""
        mp3 = b"".join((self.lines / f"{key}.mp3").read_bytes() for key in spoken.line_keys)
        if not mp3:
            import numpy as np

            mp3 = encode(np.zeros(int(SAMPLE_RATE * PAUSE_SECONDS), "<i2"))
        seconds = mp3_seconds(len(mp3))
        write_atomically(self.folder / f"{spoken.key}.mp3", mp3)
        write_atomically(self.folder / f"{spoken.key}.json", json.dumps({"seconds": seconds}).encode())
        return Recorded(spoken.key, len(mp3), seconds)

    def known(self, key: str) -> Recorded | None:
        try:
            facts = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            size = (self.folder / f"{key}.mp3").stat().st_size
        except (OSError, ValueError):
            return None
        return Recorded(key, size, facts["seconds"])


def _in_workers(speaker: _Speaker, jobs: list, processes: int) -> list[Recorded]:
    # Never in this process when there are workers: onnxruntime's threads must not be in a process that forks.
    return in_workers(speaker, jobs, processes, start="forkserver", preload=(__name__,))


# --- the stage --------------------------------------------------------------------------------------------------


def write_audio(model, settings: PublishSettings, theme: Path, out: Path, pages: Iterable[Page],
                cache: Path | None = None, processes: int | None = None, tables=None) -> Made:
    """Write each easy-read page's recording into ``out``, next to the page, from the cache when it says the same.

    Raises ``DataProblems`` when a pronunciation breaks the naming register or is not the engine's phonemes, and
    ``SettingsError`` when the voice file cannot be used."""
    tables = tables or {}
    voice = settings_voice(settings)
    pronunciations = pronunciations_of(tables.get("pronunciations"))
    problems = pronunciation_problems(pronunciations, model.naming, tables)
    if problems:
        raise DataProblems(problems)
    by_path = {page.path: page for page in booklet_pages(pages)}
    result = Made()
    with tempfile.TemporaryDirectory(prefix="dps-audio-") as scratch:
        folder = Path(cache) if cache is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        index = folder / "pages"
        index.mkdir(exist_ok=True)
        speaker = _Speaker(folder, voice)
        the_salt = salt(voice, pronunciations)
        fingerprints = model_fingerprinter(model)
        site_wide = fingerprints.of(SiteView(model).fingerprint_parts(), settings, templates_digest(Path(theme)),
                                    code_digest(), the_salt)
        prints = {path: page_fingerprint(fingerprints, site_wide, page) for path, page in by_path.items()}
        done: dict[str, tuple[Recorded, int]] = {}
        for path, fingerprint in prints.items():  # a page whose content is unchanged says what it said
            known = _known_page(index / f"{fingerprint}.json", speaker)
            if known:
                done[path] = known
                result.reused += 1
        maker = BookletMaker(model, settings, theme) if len(done) < len(by_path) else None
        planned: dict[str, tuple[Spoken, int]] = {}
        new: dict[str, Spoken] = {}
        named: list[Problem] = []
        terms = term_patterns(model.naming)
        for path, page in by_path.items():
            if path in done:
                continue
            blocks = _content_blocks(maker, page)
            lines = spoken_lines(blocks, pronunciations)
            named += _spoken_naming_problems(path, blocks, lines, terms, tables)
            key = hashlib.sha256((the_salt + "\n".join(lines)).encode()).hexdigest()
            spoken = Spoken(key, tuple(lines), tuple(line_key(the_salt, line) for line in lines))
            planned[path] = (spoken, spoken_word_count(lines))
            if speaker.known(key) is None:
                new.setdefault(key, spoken)
        if named:
            raise DataProblems(named)
        processes = processes or min(2, os.cpu_count() or 1)
        # Each line not yet in the cache once (the longest first, so the two workers finish together), then each
        # new recording joined from its lines' segments, here.
        said = {key: Line(key, text) for spoken in new.values() for key, text in zip(spoken.line_keys, spoken.lines)
                if not speaker.has_line(key)}
        jobs = sorted(said.values(), key=lambda line: (-len(line.text), line.key))
        work = sum(r.work for r in _in_workers(speaker, jobs, processes))
        made = {spoken.key: speaker.record(spoken) for spoken in new.values()}
        if made:  # what the last build that made any recording said and took (bench/audio.py and tests read it)
            write_atomically(folder / "work.json", json.dumps(
                {"lines": len(jobs), "lines_known": len({k for s in new.values() for k in s.line_keys}) - len(jobs),
                 "recordings": len(made), "seconds": round(work, 1)}).encode())
        for path, (spoken, words) in planned.items():
            recorded = made.get(spoken.key) or speaker.known(spoken.key)
            if recorded is None:
                raise BuildError(f"the recording of /{path} was made but is not in its cache folder {folder}.")
            done[path] = (recorded, words)
            if spoken.key in made:
                result.rendered += 1
            else:
                result.reused += 1
            write_atomically(index / f"{prints[path]}.json", json.dumps([spoken.key, words]).encode())
        for path, (recorded, words) in sorted(done.items()):
            name = f"{path}{audio_file_name(by_path[path])}"
            place(folder / f"{recorded.key}.mp3", out, name)
            result.files[path] = (AudioFile(name, recorded.size, recorded.seconds, words),)
            if recorded.key in made:
                result.rendered_files.append(name)
    return result


def _content_blocks(maker: BookletMaker, page: Page) -> list[TextBlock]:
    """The page's content as its template renders it, web-only points left out (as from its booklet)."""
    import lxml.html

    content = maker.content(page)
    for element in content.find_class("web-only"):
        element.drop_tree()
    return page_lines("".join(lxml.html.tostring(child, encoding="unicode") for child in content))


def _known_page(entry: Path, speaker: _Speaker) -> tuple[Recorded, int] | None:
    try:
        key, words = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    recorded = speaker.known(key)
    return (recorded, words) if recorded is not None else None


# --- the checks -------------------------------------------------------------------------------------------------


def pronunciation_problems(pronunciations: tuple[Pronunciation, ...], naming, tables) -> list[Problem]:
    """A pronunciation may not say a naming-register term, and phonemes must be ones the engine says."""
    table = tables.get("pronunciations")
    if table is None:
        return []
    problems = []
    letters = engine_vocabulary()
    for p in pronunciations:
        said = p.phonemes
        if said is not None:
            unknown = sorted({c for c in said if c not in letters and not c.isspace()})
            if unknown:
                problems.append(table.header.place(table.problem(
                    p.row, "say_as", "pronunciation-phonemes",
                    f'the pronunciation of "{p.word}" is written between slashes, so it is read as the speech '
                    f"engine's phonemes, but the engine has no phoneme {', '.join(repr(c) for c in unknown)}. "
                    "Write a plain respelling without slashes (e.g. Folkstun), or use only the engine's phonemes "
                    "(e.g. /fˈOkstən/).")))
            continue
        for term, pattern in term_patterns(naming):
            if term.applies_to in ("all", "easy-read") and pattern.search(p.say_as) and not pattern.search(p.word):
                instead = f'say "{term.preferred}" instead' if term.preferred else "say it in other words"
                problems.append(table.header.place(table.problem(
                    p.row, "say_as", "naming-register",
                    f'the recordings would say "{p.word}" as "{p.say_as}", which uses "{term.term}". The easy-read '
                    f'recordings follow the naming register: {instead} ({term.reason.rstrip(".")}).')))
    return problems


def _spoken_naming_problems(path: str, blocks: list[TextBlock], lines: list[str], terms, tables) -> list[Problem]:
    """The naming register on what a recording says that its page does not write (spoken words of its own)."""
    changed = [TextBlock(line, True, block.explains) for block, line in zip(
        [b for b in blocks if any(c.isalnum() for c in b.text)], lines) if line.rstrip(".") != block.text.rstrip(".")]
    return check_blocks(f"{path} (its recording)", changed, terms, tables, easy_read=True, check_sentences=False)
