"""The voice the easy-read recordings speak in (``site/audio.py``): a setting, checked when the settings load.

``AUDIO_VOICE`` unset (or ``""``) is the voice inside the ``hibari-tts`` package: American English. A council
that wants a British voice installs one of the package's British voice files by hand (its ``voices.json`` lists
each with its sha256) and names it::

    AUDIO_VOICE = "voices/bf_emma.int8.onnx"      # relative to the folder the build runs in
    AUDIO_VOICE_SHA256 = "f709f0488ee6..."         # optional: the build refuses any other file

A voice file the package's registry knows (by its sha256) speaks the registry's accent; for any other file
``AUDIO_VOICE_ACCENT`` says ``"British"`` or ``"American"``. With a British voice the British spelling-to-sound
rules apply. Voices are read only from the package or that path: the build hands the engine the file itself,
so the engine's own download (``hibari.voices.download``) is never reached. A missing or wrong file is a
settings problem in words.

This module imports neither onnxruntime nor the engine: the settings check runs before every build.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

SETTING, DIGEST_SETTING, ACCENT_SETTING = "AUDIO_VOICE", "AUDIO_VOICE_SHA256", "AUDIO_VOICE_ACCENT"
ACCENTS = {"british": True, "american": False}
SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Voice:
    path: Path
    digest: str  # the file's sha256
    british: bool
    name: str  # in words: "the package's voice (American English)"


def engine_folder() -> Path:
    """The installed ``hibari`` package's folder (found without importing it)."""
    spec = find_spec("hibari")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("hibari")
    return Path(next(iter(spec.submodule_search_locations)))


def registry() -> dict[str, dict]:
    """The package's voices, by name (``assets/voices.json``)."""
    return json.loads((engine_folder() / "assets" / "voices.json").read_text(encoding="utf-8"))


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def voice_problems(values: dict) -> list[tuple[str, str | None, str]]:
    """The voice settings' problems (setting, value, message), for ``settings.check_settings`` to report."""
    try:
        voice_of(values)
    except VoiceProblem as problem:
        return [(problem.setting, problem.value, str(problem))]
    return []


class VoiceProblem(Exception):
    def __init__(self, setting: str, value: str | None, message: str):
        super().__init__(message)
        self.setting, self.value = setting, value


def voice_of(values: dict) -> Voice:
    """The voice the settings name (``values``: the settings file's values, or ``PublishSettings.pelican``).

    Raises ``VoiceProblem`` for a setting that is not text, a file that is not there or is not the file its
    sha256 names, or a file whose accent cannot be known."""
    named = values.get(SETTING, "") or ""
    wanted = values.get(DIGEST_SETTING, "") or ""
    accent = values.get(ACCENT_SETTING, "") or ""
    for setting, value in ((SETTING, named), (DIGEST_SETTING, wanted), (ACCENT_SETTING, accent)):
        if not isinstance(value, str):
            raise VoiceProblem(setting, repr(value), f"{value!r} is not text in quotes. Write it like "
                               f'{SETTING} = "voices/bf_emma.int8.onnx", or leave it out for the package\'s voice.')
    if wanted and not SHA256.fullmatch(wanted.strip().lower()):
        raise VoiceProblem(DIGEST_SETTING, wanted, f'"{wanted}" is not a sha256: 64 letters a to f and digits, as '
                           "the voice's entry in the hibari-tts package's voices.json gives it.")
    if accent and accent.strip().lower() not in ACCENTS:
        raise VoiceProblem(ACCENT_SETTING, accent, f'"{accent}" is not an accent the voices speak: write '
                           f'{ACCENT_SETTING} = "British" or "American".')
    try:
        known = registry()
    except (OSError, ValueError):
        raise VoiceProblem(SETTING, named or None, "the speech engine (the hibari-tts package) is not installed, "
                           "so the easy-read pages cannot be read aloud. Install the publisher again with pip "
                           "(it brings hibari-tts), then build again.") from None
    if not named:
        bundled = next(v for v in known.values() if v.get("bundled"))
        path = engine_folder() / "assets" / bundled["file"]
        if not path.is_file():
            raise VoiceProblem(SETTING, None, f"the speech engine's own voice ({path}) is missing: install "
                               "hibari-tts again with pip, then build again.")
        return Voice(path, bundled["sha256"], bool(bundled["british"]), f"the package's voice ({bundled['accent']} "
                     "English)")
    path = Path(named).expanduser()
    if not path.is_file():
        raise VoiceProblem(SETTING, named, f'the voice file "{named}" is not there (looked for {path.absolute()}). '
                           "Copy the voice file there (a British voice is one of the hibari-tts package's voice "
                           "files, e.g. bf_emma.int8.onnx, installed by hand), correct the path, or leave "
                           f"{SETTING} out to use the package's own voice. The build never downloads a voice.")
    digest = file_digest(path)
    if wanted and digest != wanted.strip().lower():
        raise VoiceProblem(DIGEST_SETTING, wanted, f'the voice file "{named}" is not the file {DIGEST_SETTING} names: '
                           f"its sha256 is {digest}. Copy the right file again (compare it with the sha256 in "
                           "the package's voices.json), or correct the setting.")
    entry = next((v for v in known.values() if v.get("sha256") == digest), None)
    if accent:
        british = ACCENTS[accent.strip().lower()]
    elif entry is not None:
        british = bool(entry["british"])
    else:
        raise VoiceProblem(ACCENT_SETTING, None, f'the voice file "{named}" is not one the hibari-tts package lists, '
                           f'so say which accent it speaks: add {ACCENT_SETTING} = "British" (or "American").')
    words = "British" if british else "American"
    return Voice(path, digest, british, f'the voice file "{named}" ({words} English)')
