"""Settings the data does not hold, read from ``pelicanconf.py`` / ``publishconf.py``.

The publisher takes the few values it needs into one typed object so no stage
digs in a shared dict, and checks them once, here, when they are loaded: a
settings file that is not there or cannot be read, a setting that is missing or
of the wrong form, or (in a public build) a placeholder is a ``SettingsError``
listing every problem at once. Nothing falls back to example values.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from .hosts.config import SETTING as WEB_HOST
from .hosts.config import WebHost, web_host_of, web_host_problems
from .problems import quote

# Every code a settings problem may carry, with what it means.
CODES = {
    "settings-file-missing": "the settings file named does not exist",
    "settings-file-unreadable": "the settings file cannot be opened",
    "settings-syntax": "Python cannot read a line of the settings file",
    "settings-run-error": "the settings file stopped with an error when it ran",
    "settings-pelican": "Pelican cannot use the settings",
    "setting-missing": "a setting the publisher needs is not set",
    "setting-invalid": "a setting is not of the type or form it must have",
    "setting-placeholder": "a public build with a placeholder value",
}

REQUIRED = object()  # a Rule without a default must be in the file


@dataclass(frozen=True, order=True)
class SettingProblem:
    file: str
    line: int | None
    setting: str | None
    code: str
    value: str | None
    message: str

    def __str__(self) -> str:
        place = [self.file]
        if self.line is not None:
            place.append(f"line {self.line}")
        if self.setting:
            place.append(self.setting)
        return f"{', '.join(place)}: {self.message}"

    def to_dict(self) -> dict:
        return {"code": self.code, "file": self.file, "line": self.line, "setting": self.setting,
                "value": self.value, "message": self.message}


REHEARSAL_ADVICE = ("To rehearse the public build with these placeholders, add ALLOW_PLACEHOLDERS = True to the "
                    "settings file: every page then says it is a rehearsal. Never publish a rehearsal.")


class SettingsError(Exception):
    """The settings file is missing, cannot be read, or holds settings the publisher cannot use: nothing is built."""

    def __init__(self, path: Path | str, problems: list[SettingProblem]):
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def advice(self) -> str | None:
        return REHEARSAL_ADVICE if any(p.code == "setting-placeholder" for p in self.problems) else None


# --- the forms a setting may take -------------------------------------------------------------------------------

_HOST = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+"
_LOCAL = r"localhost|127\.0\.0\.1"
SITE_ADDRESS = re.compile(rf"(?:https://{_HOST}|http://(?:{_LOCAL}))(?::\d{{1,5}})?(?:/[A-Za-z0-9._~%-]+)*/?",
                          re.IGNORECASE)
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@" + _HOST, re.IGNORECASE)
OCID_PREFIX = re.compile(r"ocds-[a-z0-9]{6}")
ORG_ID = re.compile(r"GB-[A-Z]{2,6}-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
ONS_AREA_CODE = re.compile(r"[ENSW][0-9]{8}")  # an ONS GSS code: E10000016 is Kent


def _is_text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _matches(pattern: re.Pattern) -> Callable[[object], bool]:
    return lambda value: isinstance(value, str) and pattern.fullmatch(value) is not None


def _is_yes_no(value) -> bool:
    return type(value) is bool


def _is_threshold(value) -> bool:
    return type(value) is int and value >= 2


def _is_names(value) -> bool:
    return isinstance(value, (list, tuple)) and all(_is_text(v) for v in value)


def _is_megabytes(value) -> bool:
    return type(value) is int and 1 <= value <= 100_000


def _is_addresses(value) -> bool:
    import ipaddress

    if not isinstance(value, (list, tuple)):
        return False
    try:
        for v in value:
            ipaddress.ip_address(v)
    except (TypeError, ValueError):
        return False
    return True


def _is_header_name(value) -> bool:
    return value == "" or (isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9-]+", value) is not None)


# Where people open the desk: a scheme and a name (a DNS name, an IPv4 address or a bracketed IPv6 one), an
# optional port, nothing after. The desk answers only to this name (and to this computer's own), so a web page
# whose name was pointed at the desk (DNS rebinding) reaches nothing.
DESK_ADDRESS = re.compile(r"https?://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
                          r"|\[[0-9a-f:.]+\])(?::\d{1,5})?/?", re.IGNORECASE)


def _is_desk_address(value) -> bool:
    return value == "" or (isinstance(value, str) and DESK_ADDRESS.fullmatch(value) is not None)


def _is_seconds(value) -> bool:
    return type(value) is int and 1 <= value <= 600


@dataclass(frozen=True)
class Rule:
    setting: str
    accepts: Callable[[object], bool]
    form: str  # what a good value is, in words
    example: str  # a line that would be right
    default: object = REQUIRED


# Every setting the publisher uses, checked once when the settings are loaded.
RULES = (
    Rule("SITEURL", _matches(SITE_ADDRESS),
         "a web address that starts with https:// and has nothing after it (no spaces, no ? or #); http:// is "
         "only for this computer, like http://127.0.0.1:8000", 'SITEURL = "https://support.northshire.gov.uk"'),
    Rule("SITENAME", _is_text, "the site's name in quotes", 'SITENAME = "Everyday life support in Northshire"'),
    Rule("COUNCIL_NAME", _is_text, "the council's name in quotes", 'COUNCIL_NAME = "Northshire County Council"'),
    Rule("COUNCIL_AREA", _is_text, "the place's name as running text says it, in quotes",
         'COUNCIL_AREA = "Northshire"'),
    Rule("COUNCIL_AREA_CODE", _matches(ONS_AREA_CODE),
         "the council area's 9-character ONS code in quotes: a capital E, W, S or N and 8 digits",
         'COUNCIL_AREA_CODE = "E10000099"'),
    Rule("COUNCIL_EMAIL", _matches(EMAIL), "an email address in quotes", 'COUNCIL_EMAIL = "name@northshire.gov.uk"'),
    Rule("CORRECTIONS_EMAIL", lambda v: v == "" or _matches(EMAIL)(v),
         "an email address in quotes, or \"\" to use COUNCIL_EMAIL",
         'CORRECTIONS_EMAIL = "directory@northshire.gov.uk"', default=""),
    Rule("COUNCIL_PHONE", _is_text, "a phone number in quotes", 'COUNCIL_PHONE = "03000 41 41 41"'),
    Rule("COUNCIL_ADDRESS", _is_text, "a postal address in quotes",
         'COUNCIL_ADDRESS = "County Hall, High Street, Northtown, NT1 1AA"'),
    Rule("EXAMPLE_DATA", _is_yes_no, "True or False (a capital letter, no quotes)", "EXAMPLE_DATA = False"),
    Rule("SMALL_NUMBER_THRESHOLD", _is_threshold, "a whole number of 2 or more (no quotes, no decimal point)",
         "SMALL_NUMBER_THRESHOLD = 5", default=5),
    Rule("OCDS_PREFIX", _matches(OCID_PREFIX), "ocds- followed by 6 small letters or digits",
         'OCDS_PREFIX = "ocds-a1b2c3"'),
    Rule("COUNCIL_ORG_ID", _matches(ORG_ID),
         "an org-id.guide identifier: GB-, the list's letters, a dash and the council's code",
         'COUNCIL_ORG_ID = "GB-LAE-NSH"'),
    Rule("PUBLIC_BUILD", _is_yes_no, "True or False (a capital letter, no quotes)", "PUBLIC_BUILD = True",
         default=False),
    Rule("ALLOW_PLACEHOLDERS", _is_yes_no, "True or False (a capital letter, no quotes)",
         "ALLOW_PLACEHOLDERS = False", default=False),
    # The publishing desk (dps-publish desk): who may approve a draft, upload limits, and a sign-in proxy.
    Rule("DESK_APPROVERS", _is_names, "a list of the names of the people who may approve a draft, each in quotes",
         'DESK_APPROVERS = ["Sam Patel", "Alex Morgan"]', default=()),
    Rule("DESK_MAX_FILE_MB", _is_megabytes, "a whole number of megabytes (no quotes)", "DESK_MAX_FILE_MB = 50",
         default=50),
    Rule("DESK_MAX_PAYMENTS_MB", _is_megabytes, "a whole number of megabytes (no quotes)",
         "DESK_MAX_PAYMENTS_MB = 1024", default=1024),
    Rule("DESK_TRUSTED_PROXIES", _is_addresses,
         "a list of the IP addresses of the council's own proxies, each in quotes",
         'DESK_TRUSTED_PROXIES = ["10.0.0.5"]', default=()),
    Rule("DESK_USER_HEADER", _is_header_name,
         "the name of the header the council's sign-in proxy puts the person's name in, or \"\" for none",
         'DESK_USER_HEADER = "X-Remote-User"', default=""),
    Rule("DESK_PUBLIC_ADDRESS", _is_desk_address,
         "the address people type to open the desk when it is behind a proxy or on a shared address, in quotes: "
         "start it with https:// and put nothing after the name (no path), or \"\" when the desk is only on this "
         "computer", 'DESK_PUBLIC_ADDRESS = "https://desk.northshire.gov.uk"', default=""),
    Rule("DESK_SECURE_COOKIES", _is_yes_no, "True or False (a capital letter, no quotes)",
         "DESK_SECURE_COOKIES = True", default=False),
    Rule("DESK_BODY_TIMEOUT", _is_seconds, "a whole number of seconds from 1 to 600 (no quotes)",
         "DESK_BODY_TIMEOUT = 10", default=10),
)
RULE = {rule.setting: rule for rule in RULES}

EXAMPLE_DOMAIN = re.compile(r"(?:^|[/@.\s])example\.(?:org|com|net)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Placeholder:
    setting: str
    found: Callable[[object], bool]
    says: str  # what is wrong with it, in words; {value} is the value as written
    fix: str


# What a public build refuses: the values pelicanconf.py marks PLACEHOLDER (a test holds the two together) and,
# in any setting, an address under example.org.
PLACEHOLDERS = (
    Placeholder("SITEURL", lambda v: urlsplit(v).hostname in ("localhost", "127.0.0.1"),
                "{value} is an address on this computer, not the public one",
                'Set it to the site\'s public address, like SITEURL = "https://support.northshire.gov.uk".'),
    Placeholder("COUNCIL_PHONE", lambda v: re.fullmatch(r"03000\s*0+", v.strip()) is not None,
                "{value} is the example phone number", "Set it to the number people can call about the site."),
    Placeholder("COUNCIL_ADDRESS", lambda v: re.search(r"\bexample\b", v, re.IGNORECASE) is not None,
                "{value} is the example address", "Set it to the council's postal address."),
    Placeholder("EXAMPLE_DATA", lambda v: v is True, "it is True, so every page says the organisations are made up",
                "Set EXAMPLE_DATA = False once the data folder holds the real providers."),
    Placeholder("OCDS_PREFIX", lambda v: v == "ocds-xxxxxx", "{value} is the placeholder ocid prefix",
                "Ask the Open Contracting Partnership's data support team for the council's prefix and set it, "
                'like OCDS_PREFIX = "ocds-a1b2c3".'),
)
EXAMPLE_ADDRESS = "{value} is an example.org address, not a real one"


@dataclass(frozen=True)
class DeskSettings:
    approvers: tuple[str, ...] = ()
    max_file_mb: int = 50
    max_payments_mb: int = 1024
    trusted_proxies: tuple[str, ...] = ()
    user_header: str = ""
    public_address: str = ""  # where people open the desk, when not on this computer only ("" for none)
    secure_cookies: bool = False  # the session cookie always Secure, whatever the request came over
    body_timeout: int = 10  # seconds a request body may stop arriving before the desk gives up on it


@dataclass(frozen=True)
class PublishSettings:
    site_url: str
    site_name: str
    council_name: str
    council_area: str  # the place's name in running text: "support in Kent"
    council_area_code: str  # its ONS code (E10000016), the Open Referral service area of "all of it"
    council_email: str
    council_phone: str
    council_address: str
    example_data: bool
    small_number_threshold: int
    ocds_prefix: str
    council_org_id: str
    pelican: dict = field(default_factory=dict, compare=False, repr=False)
    public_build: bool = False
    allow_placeholders: bool = False
    corrections_email: str = ""  # where "Is something wrong on this page?" goes; "" is the council's email
    # The publishing desk's settings: they change nothing in the site, so builds do not compare them.
    desk: DeskSettings = field(default_factory=lambda: DeskSettings(), compare=False, repr=False)
    # Where the site goes live (dps-publish deploy): None keeps the site on this computer only.
    web_host: WebHost | None = field(default=None, compare=False, repr=False)

    @property
    def base_path(self) -> str:
        """The path part of the public address, e.g. ``/dps`` for https://example.org/dps."""
        return urlsplit(self.site_url).path.rstrip("/")

    @property
    def corrections_address(self) -> str:
        """Where a reader reports a mistake on a page: the corrections address, else the council's."""
        return self.corrections_email or self.council_email

    @property
    def rehearsal(self) -> bool:
        """A public build let through with placeholders: every page says so."""
        return self.public_build and self.allow_placeholders


def load_settings(path: Path | str) -> PublishSettings:
    """The checked settings of the file at ``path``; a ``SettingsError`` listing every problem if any."""
    from pelican.settings import read_settings

    path = Path(path)
    values = read_settings_file(path)
    problems = _point_at_commented_lines(check_settings(values, str(path)), path)
    if problems:
        raise SettingsError(path, problems)
    try:
        pelican = read_settings(None, override=dict(values))
    except Exception as exc:  # Pelican's own checks (a theme that is not there, ...)
        raise SettingsError(path, [SettingProblem(str(path), None, None, "settings-pelican", None,
                                                  f"Pelican cannot use these settings: {exc}")]) from None
    checked = {rule.setting: values.get(rule.setting, rule.default) for rule in RULES}
    return PublishSettings(
        site_url=checked["SITEURL"].rstrip("/"),
        site_name=checked["SITENAME"],
        council_name=checked["COUNCIL_NAME"],
        council_area=checked["COUNCIL_AREA"].strip(),
        council_area_code=checked["COUNCIL_AREA_CODE"],
        council_email=checked["COUNCIL_EMAIL"],
        council_phone=checked["COUNCIL_PHONE"],
        council_address=checked["COUNCIL_ADDRESS"],
        example_data=checked["EXAMPLE_DATA"],
        small_number_threshold=checked["SMALL_NUMBER_THRESHOLD"],
        ocds_prefix=checked["OCDS_PREFIX"],
        council_org_id=checked["COUNCIL_ORG_ID"],
        pelican=pelican,
        public_build=checked["PUBLIC_BUILD"],
        allow_placeholders=checked["ALLOW_PLACEHOLDERS"],
        corrections_email=checked["CORRECTIONS_EMAIL"],
        desk=DeskSettings(tuple(n.strip() for n in checked["DESK_APPROVERS"]), checked["DESK_MAX_FILE_MB"],
                          checked["DESK_MAX_PAYMENTS_MB"], tuple(checked["DESK_TRUSTED_PROXIES"]),
                          checked["DESK_USER_HEADER"], checked["DESK_PUBLIC_ADDRESS"].rstrip("/"),
                          checked["DESK_SECURE_COOKIES"], checked["DESK_BODY_TIMEOUT"]),
        web_host=web_host_of(values.get(WEB_HOST)),
    )


def _point_at_commented_lines(problems: list[SettingProblem], path: Path) -> list[SettingProblem]:
    """A missing setting the file has as an example behind a # (as ``dps-publish init`` writes them) is shown on
    that line, with what to do there."""
    if not any(p.code == "setting-missing" for p in problems):
        return problems
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    commented = {}
    for number, line in enumerate(lines, start=1):
        found = re.match(r"#\s*([A-Z][A-Z0-9_]*)\s*=", line)
        if found:
            commented.setdefault(found.group(1), number)
    return [replace(p, line=commented[p.setting],
                    message=f"not set: this line is an example with a # in front. Write the council's own value "
                            f"there and remove the #, like {RULE[p.setting].example}.")
            if p.code == "setting-missing" and p.setting in commented else p for p in problems]


def check_settings(values: dict, file: str) -> list[SettingProblem]:
    """Every problem with the settings a file sets: missing, of the wrong form, or a placeholder in a public build."""
    problems = []
    for rule in RULES:
        if rule.setting not in values:
            if rule.default is REQUIRED:
                problems.append(SettingProblem(file, None, rule.setting, "setting-missing", None,
                                               f"not set. Add a line like {rule.example}."))
        elif not rule.accepts(values[rule.setting]):
            value = values[rule.setting]
            problems.append(SettingProblem(
                file, None, rule.setting, "setting-invalid", _shown(value),
                f"{_written(value)} is not {rule.form}. Write it like {rule.example}."))
    if values.get(WEB_HOST) is not None:
        problems += [SettingProblem(file, None, WEB_HOST, "setting-invalid", shown, message)
                     for shown, message in web_host_problems(values[WEB_HOST])]
    from .site.voice import voice_problems  # AUDIO_VOICE: the voice the easy-read recordings speak in

    problems += [SettingProblem(file, None, setting, "setting-invalid", value, message)
                 for setting, value, message in voice_problems(values)]
    refuses_placeholders = values.get("PUBLIC_BUILD") is True and values.get("ALLOW_PLACEHOLDERS") is not True
    if refuses_placeholders:
        problems += _placeholders(values, file, {p.setting for p in problems})
    return problems


def _placeholders(values: dict, file: str, invalid: set[str]) -> list[SettingProblem]:
    found: dict[str, SettingProblem] = {}
    for place in PLACEHOLDERS:
        value = values.get(place.setting)
        if place.setting in values and place.setting not in invalid and place.found(value):
            found[place.setting] = _placeholder(file, place.setting, value, place.says, place.fix)
    for name, value in sorted(values.items()):
        if name not in found and name not in invalid and any(EXAMPLE_DOMAIN.search(s) for s in _strings(value)):
            fix = f"Write it like {RULE[name].example}." if name in RULE else "Replace it with the real address."
            found[name] = _placeholder(file, name, value, EXAMPLE_ADDRESS, fix)
    return sorted(found.values(), key=lambda p: p.setting)


def _placeholder(file: str, name: str, value, says: str, fix: str) -> SettingProblem:
    return SettingProblem(file, None, name, "setting-placeholder", _shown(value),
                          f"{says.format(value=_written(value))}. A public build does not publish placeholders. {fix}")


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)


def _shown(value) -> str:
    return value if isinstance(value, str) else repr(value)


def _written(value) -> str:
    """A value as a message quotes it; text where text is not wanted says it is in quotes."""
    if not isinstance(value, str):
        return repr(value) if len(repr(value)) <= 60 else quote(repr(value))
    if not value.strip():
        return f"{quote(value)} (empty)"
    looks_like_a_value = value.strip() in ("True", "False") or re.fullmatch(r"\s*[\d.]+\s*", value) is not None
    return quote(value) + (" (in quotes)" if looks_like_a_value else "")


# --- reading the file -------------------------------------------------------------------------------------------


def read_settings_file(path: Path) -> dict:
    """The upper-case names the settings file sets (as Pelican reads them); a ``SettingsError`` if it cannot be read."""
    file = str(path)
    path = path.absolute()

    def fail(code: str, message: str, line: int | None = None) -> SettingsError:
        return SettingsError(path, [SettingProblem(file, line, None, code, None, message)])

    if not path.exists():
        raise fail("settings-file-missing",
                   f"there is no settings file called {path.name} in {path.resolve().parent}. "
                   "Check the name after --settings: the preview settings are pelicanconf.py, the public ones "
                   "publishconf.py.")
    try:
        source = path.read_bytes()
    except OSError as exc:
        what = "is a folder, not a settings file" if path.is_dir() else f"cannot be opened ({exc.strerror})"
        raise fail("settings-file-unreadable", f"the settings file {what}. Name the .py file after --settings.") \
            from None
    try:
        code = compile(source, str(path), "exec")
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        text = (getattr(exc, "text", None) or "").strip()
        shown = f" The line is: {text}" if text else ""
        raise fail("settings-syntax",
                   f"Python cannot read this line ({getattr(exc, 'msg', exc)}). Check its quotes, brackets and "
                   'commas, and the line before: text needs quotes at both ends, like SITENAME = "Everyday life '
                   f'support in Northshire".{shown}', line) from None
    namespace = {"__file__": str(path), "__name__": path.stem}
    try:
        with _isolated_imports(path.parent):
            exec(code, namespace)
    except (Exception, SystemExit) as exc:
        line, elsewhere = _line_in(exc.__traceback__, path)
        raise fail("settings-run-error", _run_error(exc) + elsewhere, line) from None
    return {name: value for name, value in namespace.items() if name.isupper()}


_IMPORTS = threading.RLock()  # sys.path and sys.modules belong to the whole process: one settings load at a time


@contextmanager
def _isolated_imports(folder: Path) -> Iterator[None]:
    """Run a settings file so that nothing of it outlives the load.

    During the load the file's own folder is first on ``sys.path`` and no module is cached under the name of a
    settings file in that folder: ``publishconf.py`` does ``from pelicanconf import *``, and Python would hand back
    the first ``pelicanconf`` it imported, perhaps another council's. Afterwards ``sys.path`` is as it was, every
    module the load brought in under a new top-level name is gone, and the ones set aside are back. A package the
    process already runs (the repository's folder holds ``dps_publish/``) is left alone: never a second copy.
    """
    with _IMPORTS:
        saved_path = list(sys.path)
        own = _settings_modules(folder)
        hidden = {name: sys.modules.pop(name) for name in list(sys.modules) if name.split(".")[0] in own}
        before = set(sys.modules)
        running = {name.split(".")[0] for name in before}
        sys.path.insert(0, str(folder))
        try:
            yield
        finally:
            sys.path[:] = saved_path
            for name in set(sys.modules) - before:
                if name.split(".")[0] not in running:
                    del sys.modules[name]
            sys.modules.update(hidden)


def _settings_modules(folder: Path) -> set[str]:
    """The names of the plain modules (.py files) in ``folder``: the settings files one may import from another."""
    try:
        return {p.stem for p in folder.glob("*.py") if p.stem.isidentifier()}
    except OSError:
        return set()


def _run_error(exc: BaseException) -> str:
    if isinstance(exc, NameError) and getattr(exc, "name", None):
        return (f"Python does not know the name {quote(exc.name)}. If it is text, put it in quotes; True and False "
                "start with a capital letter; a setting must be set before a line uses it.")
    if isinstance(exc, ImportError) and getattr(exc, "name", None):
        return (f"the settings file imports {exc.name}, which Python cannot find. Keep the settings file in the same "
                f"folder as {exc.name}.py.")
    return f"the settings file stopped with an error when it ran ({type(exc).__name__}: {exc}). Check this line."


def _line_in(tb: TracebackType | None, path: Path) -> tuple[int | None, str]:
    """Where the settings file stopped: its line, and the other settings file next to it it had imported, if any."""
    line, elsewhere = None, ""
    while tb is not None:
        where = Path(tb.tb_frame.f_code.co_filename)
        if where == path:
            line, elsewhere = tb.tb_lineno, ""
        elif where.parent == path.parent and line is not None:
            elsewhere = f" It stopped in {where.name}, line {tb.tb_lineno}."
        tb = tb.tb_next
    return line, elsewhere


# What a build is asked to do: the folders it reads and writes, and its settings. Here, beside the settings, and not
# in the pipeline, so that the command can name a project and ask whether the last build still stands
# (cache.last_build_stands) without importing what a build needs (pandas, Altair, the writers).
@dataclass
class Project:
    data: Path
    output: Path
    content: Path
    theme: Path
    settings: PublishSettings
    cache: Path | None = None  # the cache root (see cache.CacheFolders): charts, checked tables, build state
    frozen: Path = Path("published")  # frozen rounds and payments, kept in the repository
    # Kinds of per-page artefact this build leaves out (site/artefacts.py): the desk's preview leaves out "audio",
    # so it is ready as soon as the pages are, and its easy-read pages say the recordings are still being made.
    later: tuple[str, ...] = ()
