"""What an easy-read page says aloud: its own rendered words, block by block, made ready for the speech engine.

The spoken text is never a second text. ``page_lines`` takes the blocks of the page's content as the page
renders it (``sitecheck.text_blocks``: headings, points, list items, in reading order), and ``spoken`` turns
each block into words the engine says right:

- **Phone numbers** digit by digit in their groups, as people read them out and write them down:
  "01304 000 373" is "zero one three zero four, zero zero zero, three seven three" (the engine alone says
  "one thousand three hundred and four ..."). "Zero", not "oh": a listener copying it down cannot mistake it.
  Three-digit service numbers after "call", "ring", "phone", "dial" or "text" (111, 999) the same way.
- **Dates** as the page writes them, day first: "3 March 2026" is "the third of March, twenty twenty-six"
  (the engine reads day and month the American way round when left to itself).
- **Money** as the page writes it, in pounds: "£9,547,321" is "nine million, five hundred and forty-seven
  thousand, three hundred and twenty-one pounds"; "£9.50" is "nine pounds and fifty pence".
- **Age ranges** and other ranges: "18 to 25" stays; "18-25" becomes "18 to 25"; "26+" is "26 and over".
- **Email addresses** are spelled out ("dps at kent dot gov dot uk"): a listener who cannot read can still
  say it to someone who writes it, and an email address is short. **Web addresses** with a path are said as
  "the web address on the page": read aloud, slashes and hyphens are noise nobody can keep in mind, and the
  people listening are on the page already or holding its booklet. A bare site name ("www.kent.gov.uk") is
  short and is spelled like an email address.
- **Letters the voice cannot say.** The voices speak English: given Chinese, Arabic or Cyrillic words the
  engine says nothing at all, so a listener would hear a gap where the page shows a provider's name. A run of
  words written in another script is said as "words in another alphabet" instead: the listener knows something
  is written there and can ask someone to read it; a guessed romanisation could say a person's or a group's
  name wrongly, which is worse than saying plainly that it cannot be said. Letters of another script inside a
  Latin word are left out. The text is first put in its compatibility form (NFKC: full-width letters and
  digits, ligatures, circled letters become plain ones), invisible format characters (zero-width spaces,
  direction marks) and combining marks left over are dropped, and digits of other scripts become 0 to 9.
- **Long numbers**: a run of more than 12 digits (a reference number, or nonsense) is said digit by digit: the
  engine cannot say numbers past about 33 digits at all, and "one quadrillion ..." helps nobody.
- **Pronunciations** (the optional ``pronunciations`` table): each word is said as its ``say_as`` wherever it
  is spoken, a plain respelling ("Folkstun") or, between slashes, the engine's own phonemes.

Nothing here imports the engine; ``site/audio.py`` turns the lines into sound.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .sitecheck import TextBlock, count_words, text_blocks

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
ON_THE_PAGE = "the web address on the page"
ANOTHER_ALPHABET = "words in another alphabet"

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?<!\.)")
WEB = re.compile(r"(?<![\w@/.-])(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)]"
                 r"|(?<![\w@/.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:gov\.uk|org\.uk|co\.uk|nhs\.uk|ac\.uk|com|org|net)"
                 r"(?:/[^\s<>\"]*[^\s<>\".,;:!?)])?(?![\w])", re.IGNORECASE)
PHONE = re.compile(r"(?<![\w£$€.,/-])(?:\+44\s?\(?0?\)?\s?\d|0\d)[\d ]{7,13}\d(?![\w,.]\d|\d)")
SERVICE_NUMBER = re.compile(r"\b((?:call|ring|phone|dial|text)(?: us)?(?: on)?) (\d{3})\b", re.IGNORECASE)
DATE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? ({'|'.join(MONTHS)})(?: (\d{{4}}))?\b")
MONTH_YEAR = re.compile(rf"\b({'|'.join(MONTHS)}) (\d{{4}})\b")
MONEY = re.compile(r"£\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?:\s?(thousand|million|billion|[kmb])\b)?",
                   re.IGNORECASE)
RANGE = re.compile(r"(?<![\w.,/-])(\d{1,3})\s?[-–]\s?(\d{1,3})(?![\w.,/-]*\d)(?!%)")
AND_OVER = re.compile(r"(?<![\w.])(\d{1,3})\+(?!\w)")
ENDS_SENTENCE = re.compile(r"[.!?:;,]$")
PHONEMES = re.compile(r"/(.+)/")
LONG_NUMBER = re.compile(r"(?<![\d,])\d(?:,?\d){12,}(?![\d])")
WORDS_AND_SPACES = re.compile(r"(\s+)")
MOST_DIGITS = 15  # number_words says up to 999 trillion


@dataclass(frozen=True)
class Pronunciation:
    word: str  # as the site writes it
    say_as: str  # a respelling, or /phonemes/
    row: int | None = None  # the table's row, to name the cell

    @property
    def phonemes(self) -> str | None:
        """The engine's phonemes when ``say_as`` is written between slashes."""
        found = PHONEMES.fullmatch(self.say_as.strip())
        return found.group(1).strip() if found else None


def pronunciations_of(table) -> tuple[Pronunciation, ...]:
    """The ``pronunciations`` table (a ``SourceTable``, or None when the data has none), longest word first."""
    if table is None:
        return ()
    found = []
    for row, word, say_as in zip(table.typed.index, table.typed["word"], table.typed["say_as"]):
        if isinstance(word, str) and word.strip() and isinstance(say_as, str) and say_as.strip():
            found.append(Pronunciation(" ".join(word.split()), say_as.strip(), int(row)))
    return tuple(sorted(found, key=lambda p: (-len(p.word), p.word)))


def page_lines(content_html: str) -> list[TextBlock]:
    """The visible blocks of a page's content (its ``<main>``), in reading order, as the page checks read them."""
    html = f"<html><body><main>{content_html}</main></body></html>"
    return [b for b in text_blocks(html.encode()) if b.in_main]


def spoken(text: str, pronunciations: Iterable[Pronunciation] = ()) -> str:
    """One block of the page's text as the engine should read it (see the module's docstring)."""
    text = sayable(text)
    text = EMAIL.sub(lambda m: _spelled_address(m.group()), text)
    text = WEB.sub(_web_address, text)
    text = MONEY.sub(_money, text)
    text = PHONE.sub(_phone, text)
    text = SERVICE_NUMBER.sub(lambda m: f"{m.group(1)} {_digits(m.group(2))}", text)
    text = DATE.sub(_date, text)
    text = MONTH_YEAR.sub(lambda m: f"{m.group(1)} {year_words(int(m.group(2)))}", text)
    text = RANGE.sub(lambda m: f"{m.group(1)} to {m.group(2)}", text)
    text = AND_OVER.sub(lambda m: f"{m.group(1)} and over", text)
    text = LONG_NUMBER.sub(lambda m: _digits(m.group()), text)
    text = say_names(text, pronunciations)
    text = " ".join(text.split())
    return text if ENDS_SENTENCE.search(text) else f"{text}."  # a heading ends with a pause, as it would aloud


def sayable(text: str) -> str:
    """``text`` in letters the voice says: compatibility forms, no invisible or left-over combining marks, digits
    0 to 9, and each run of words in another script as "words in another alphabet"."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_sayable_character(c) for c in text)
    said: list[str] = []
    for part in WORDS_AND_SPACES.split(text):
        letters = [c for c in part if c.isalpha()]
        if letters and not any(_latin(c) for c in letters):  # a word of another script: say so, once a run
            end = part[len(part.rstrip(".!?:;,")):]
            while said and said[-1].isspace() and len(said) > 1 and said[-2] == ANOTHER_ALPHABET:
                said.pop()
            if said and said[-1] == ANOTHER_ALPHABET:
                said[-1] += end
            else:
                said.append(ANOTHER_ALPHABET + end)
        else:
            said.append("".join(c for c in part if not c.isalpha() or _latin(c)))
    return "".join(said)


def _latin(letter: str) -> bool:
    return unicodedata.name(letter, "").startswith("LATIN")


def _sayable_character(c: str) -> str:
    category = unicodedata.category(c)
    if category in ("Cf", "Co", "Cn", "Cs", "Cc") or category.startswith("M"):
        return " " if category == "Cc" else ""
    if category == "Nd" and not c.isascii():
        return str(unicodedata.digit(c))
    return c


def spoken_lines(blocks: Iterable[TextBlock], pronunciations: Iterable[Pronunciation] = ()) -> list[str]:
    pronunciations = tuple(pronunciations)
    return [spoken(b.text, pronunciations) for b in blocks if any(c.isalnum() for c in b.text)]


def spoken_word_count(lines: Iterable[str]) -> int:
    """The words said: phonemes between slashes count as the one word they stand for."""
    return sum(count_words(re.sub(r"\[([^\]]*)\]\(/[^)]*/\)", r"\1", line)) for line in lines)


def say_names(text: str, pronunciations: Iterable[Pronunciation]) -> str:
    """Each word of the table said its way: a respelling in its place, or the engine's ``[word](/phonemes/)``."""
    for p in pronunciations:
        words = r"\s+".join(map(re.escape, unicodedata.normalize("NFKC", p.word).split()))
        pattern = re.compile(rf"(?<![\w\[/]){words}(?![\w\]])", re.IGNORECASE)
        phonemes = p.phonemes
        replacement = f"[{p.word}](/{phonemes}/)" if phonemes is not None else p.say_as
        text = pattern.sub(lambda m, r=replacement: r, text)
    return text


# --- the words for numbers --------------------------------------------------------------------------------------

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
SCALES = ("", "thousand", "million", "billion", "trillion")
ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
            "nine": "ninth", "twelve": "twelfth"}


def _below_1000(n: int) -> str:
    words = []
    if n >= 100:
        words += [ONES[n // 100], "hundred"]
        n %= 100
        if n:
            words.append("and")
    if n >= 20:
        words.append(TENS[n // 10] + (f"-{ONES[n % 10]}" if n % 10 else ""))
    elif n or not words:
        words.append(ONES[n])
    return " ".join(words)


def number_words(n: int) -> str:
    """British English: 9547321 is "nine million, five hundred and forty-seven thousand, three hundred and
    twenty-one"; 1005 is "one thousand and five"."""
    if n < 1000:
        return _below_1000(n)
    if len(str(n)) > MOST_DIGITS:
        return _digits(str(n))
    groups, scale = [], 0
    while n:
        n, group = divmod(n, 1000)
        if group:
            groups.append((group, scale))
        scale += 1
    groups.reverse()
    words = [_below_1000(g) + (f" {SCALES[s]}" if s else "") for g, s in groups]
    last, last_scale = groups[-1]
    if len(groups) > 1 and last_scale == 0 and last < 100:
        return ", ".join(words[:-1]) + " and " + words[-1]
    return ", ".join(words)


def ordinal_words(n: int) -> str:
    words = number_words(n)
    head, _, last = words.rpartition(" ")
    tens, dash, unit = last.rpartition("-")
    last = f"{tens}{dash}{_ordinal(unit)}"
    return f"{head} {last}" if head else last


def _ordinal(word: str) -> str:
    if word in ORDINALS:
        return ORDINALS[word]
    return word[:-1] + "ieth" if word.endswith("y") else word + "th"


def year_words(year: int) -> str:
    """2026 is "twenty twenty-six", 2005 "two thousand and five", 1999 "nineteen ninety-nine"."""
    high, low = divmod(year, 100)
    if not 11 <= high <= 99 or (high % 10 == 0 and low < 10):
        return number_words(year)
    if low == 0:
        return f"{number_words(high)} hundred"
    return f"{number_words(high)} {'oh ' if low < 10 else ''}{number_words(low)}"


def _digits(group: str) -> str:
    return " ".join(DIGITS[int(c)] for c in group if c.isdigit())


def _phone(match: re.Match) -> str:
    text = match.group()
    digits = re.sub(r"\D", "", text)
    if not 10 <= len(digits) <= 12:
        return text
    groups = re.findall(r"\+|\d+", text.replace("(0)", ""))
    said = [("plus" if g == "+" else _digits(g)) for g in groups]
    if said and said[0] == "plus" and len(said) > 1:
        said[:2] = [f"plus {said[1]}"]
    return ", ".join(said)


def _date(match: re.Match) -> str:
    day, month, year = int(match.group(1)), match.group(2), match.group(3)
    if not 1 <= day <= 31:
        return match.group()
    said = f"the {ordinal_words(day)} of {month}"
    return f"{said}, {year_words(int(year))}" if year else said


def _money(match: re.Match) -> str:
    whole, pence, scale = match.group(1).replace(",", ""), match.group(2), (match.group(3) or "").lower()
    scale = {"k": "thousand", "m": "million", "b": "billion"}.get(scale, scale)
    if scale:
        amount = number_words(int(whole))
        if pence:
            amount += " point " + " ".join(ONES[int(c)] for c in pence.rstrip("0"))
        return f"{amount} {scale} pounds"
    pounds = int(whole)
    pence_value = int(pence.ljust(2, "0")) if pence else 0
    said = []
    if pounds or not pence_value:
        said.append(f"{number_words(pounds)} pound{'s' if pounds != 1 else ''}")
    if pence_value:
        said.append(f"{number_words(pence_value)} pence" if pence_value != 1 else "one penny")
    return " and ".join(said)


def _spelled_address(address: str) -> str:
    """An email address or a site's name, said: "dps at kent dot gov dot uk"."""
    address = re.sub(r"^(?:https?://)?(?:www\.)?", "", address, flags=re.IGNORECASE).rstrip("/")
    marks = {"@": " at ", ".": " dot ", "-": " dash ", "_": " underscore ", "+": " plus "}
    return " ".join("".join(marks.get(c, c) for c in address.lower()).split())


def _web_address(match: re.Match) -> str:
    address = match.group()
    bare = re.sub(r"^(?:https?://)", "", address, flags=re.IGNORECASE).rstrip("/")
    return ON_THE_PAGE if "/" in bare or "?" in bare else _spelled_address(bare)
