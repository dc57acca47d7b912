"""The built example site in a real browser and through the HTML checkers.

Every page is checked, not a sample. One Chromium, one tab, one navigation per page
(``js_pass``) gives axe-core, the requests each page makes, the first Tab and the
320px reflow in each of two fonts; a second pass with JavaScript off (``nojs_pass``)
checks the pages still work. The Nu HTML Checker, the link check and the page weight read the files.

Chromium comes from Debian (``make test`` installs it); never from ``playwright install``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from browser import (
    describe_target,
    html_pages,
    launch_chromium,
    nu_check,
    preload_axe,
    run_axe,
    serve,
    url_to_file,
)
from helpers import ROOT

DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 800}
# The 320px reflow is checked once in each of these fonts, forced on every element (sans-serif text,
# monospace code), so it neither passes nor fails by what this machine has installed. Readers'
# browsers draw Arial as whatever they have: Liberation Sans has Arial's metrics (what Arial resolves
# to on Linux, fonts-liberation2); DejaVu Sans is the widest common fallback (fonts-dejavu-core).
# scripts/install-test-tools.sh installs both.
REFLOW_FONTS = {"Liberation Sans": "Liberation Mono", "DejaVu Sans": "DejaVu Sans Mono"}
FONT_PACKAGES = "fonts-liberation2 fonts-dejavu-core"
PAGE_TIMEOUT_MS = 20_000
SEARCH_PAGE = "/search/"
MEDIAN_PAGE_WEIGHT_LIMIT = 60_000  # bytes (60 KB)
SHARED_ASSETS = ("/theme/", "/pagefind/")  # shared CSS and JS, not counted in page weight
SHOW = 12  # how many examples a failure message lists for each problem


def site_url() -> str:
    """The address the example site was built at (``helpers.build_site`` builds it with pelicanconf.py): a link to it
    is internal and checked against the built files. Settings that cannot be read stop the test, never a guess."""
    from dps_publish.settings import SettingsError, load_settings

    try:
        return load_settings(ROOT / "pelicanconf.py").site_url
    except SettingsError as error:
        pytest.fail(f"{ROOT / 'pelicanconf.py'} cannot be read, so links to the site's own address cannot be told "
                    f"from links to other hosts:\n{error}", pytrace=False)


def _more(items: list, shown: int = SHOW) -> str:
    return f"\n      … and {len(items) - shown} more" if len(items) > shown else ""


# -- fixtures: the site, the server, the browser ------------------------------------------------


@pytest.fixture(scope="module")
def site(example_build) -> Path:
    output, _ = example_build
    return output


@pytest.fixture(scope="module")
def pages(site) -> list[tuple[str, Path]]:
    found = html_pages(site)
    assert found, f"the example build wrote no HTML pages into {site}"
    return found


@pytest.fixture(scope="module")
def base_url(site):
    with serve(site) as url:
        yield url


@dataclass
class Unavailable:
    """Why the browser could not run; every browser test fails with it (never skips)."""

    reason: str


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        yield Unavailable(f"Playwright is not installed ({error}). Run `make test`.")
        return
    with sync_playwright() as playwright:
        try:
            browser = launch_chromium(playwright)
        except pytest.fail.Exception as failure:
            yield Unavailable(failure.msg)
            return
        try:
            yield browser
        finally:
            browser.close()


def need(results):
    if isinstance(results, Unavailable):
        pytest.fail(results.reason, pytrace=False)
    return results


def _is_local(url: str, base_url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True  # not a request to any host
    return parts.hostname == "127.0.0.1" and url.startswith(base_url)


def _new_context(browser, **options):
    """A context whose pages run axe's injected script even under a strict Content-Security-Policy.

    The browser is offline (browser.OFFLINE_ARGS): requests to other hosts are recorded, then fail."""
    context = browser.new_context(bypass_csp=True, service_workers="block", **options)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    context.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
    return context


def _load(page, url: str) -> str | None:
    """Open ``url``; a problem (as text) if it did not load with HTTP 200."""
    try:
        response = page.goto(url, wait_until="load")
    except Exception as error:  # noqa: BLE001 - report it against the page and go on
        return f"did not load: {str(error).splitlines()[0]}"
    if response is None:
        return "did not load: no response"
    if response.status != 200:
        return f"did not load: HTTP {response.status}"
    return None


# -- pass 1: JavaScript on: axe, requests, first Tab, 320px reflow -------------------------------


@dataclass
class Visit:
    path: str
    load_error: str | None = None
    violations: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    failed_requests: list = field(default_factory=list)
    js_errors: list = field(default_factory=list)
    first_tab: dict | None = None
    scroll_width: dict = field(default_factory=dict)  # font -> the page's width at 320px
    overflowing: dict = field(default_factory=dict)  # font -> what sticks out
    pictures: dict = field(default_factory=dict)  # "desktop"/"narrow" -> each easy-read point's picture, measured


_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {ok: false, what: 'nothing (focus stayed on <body>)'};
  const ok = el.classList.contains('govuk-skip-link') && el.getAttribute('href') === '#main-content';
  const what = el.outerHTML.replace(/\\s+/g, ' ').slice(0, 160);
  el.blur();  // axe and the reflow check see the page as it loaded
  return {ok, what};
}"""

_REFLOW = """() => {
  const vw = window.innerWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth <= vw) return {scrollWidth, culprits: []};
  const clips = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const x = getComputedStyle(a).overflowX;
      if (x !== 'visible') return true;  // inside its own scroll/clip box: not what scrolls the page
    }
    return false;
  };
  // Too wide: boxes past the right edge; failing those, boxes whose content spills past it (a long word).
  const all = [...document.body.querySelectorAll('*')]
    .filter(el => el.getBoundingClientRect().width > 0 && !clips(el));
  const past = all.filter(el => el.getBoundingClientRect().right > vw + 0.5);
  const wide = past.length ? past : all.filter(el => el.scrollWidth > el.clientWidth &&
    getComputedStyle(el).overflowX === 'visible' && el.getBoundingClientRect().left + el.scrollWidth > vw + 0.5);
  const outer = wide.filter(el => !wide.some(other => other !== el && other.contains(el)));
  const leaves = wide.filter(el => !wide.some(other => other !== el && el.contains(other)));
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    [...el.classList].map(c => '.' + c).join('');
  const text = el => JSON.stringify((el.innerText || el.outerHTML).replace(/\\s+/g, ' ').trim().slice(0, 50));
  const edge = el => { const r = el.getBoundingClientRect(); return Math.round(Math.max(r.right, r.left + el.scrollWidth)); };
  const show = (label, els) => els.length ? [`${label}: ` +
    els.slice(0, 3).map(el => `${name(el)} (right edge at ${edge(el)}px) ${text(el)}`).join('; ') +
    (els.length > 3 ? `; and ${els.length - 3} more` : '')] : [];
  const inner = leaves.filter(el => !outer.includes(el));
  return {scrollWidth, culprits: [...show('outermost', outer), ...show('innermost', inner)]};
}"""


# Each easy-read point: its picture's height, the line height of the words beside it, and where it is.
_PICTURES = """() => [...document.querySelectorAll('.er-point')].map(point => {
  const img = point.querySelector('.er-point__picture');
  const words = point.querySelector('.er-point__words');
  const text = words && (words.querySelector('p, li') || words);
  if (!img || !text) return {missing: true, html: point.outerHTML.slice(0, 120)};
  const a = img.getBoundingClientRect(), b = words.getBoundingClientRect();
  return {height: a.height, line: parseFloat(getComputedStyle(text).lineHeight),
          left: a.right <= b.left + 0.5, above: a.bottom <= b.top + 0.5,
          words: text.innerText.replace(/\\s+/g, ' ').slice(0, 50)};
})"""


def picture_problems(measured: list[dict], narrow: bool) -> list[str]:
    """What is wrong with a page's easy-read pictures: shorter than four lines of their words, or not on the left
    (on a wide screen) or above (on a narrow one)."""
    found = []
    for m in measured:
        if m.get("missing"):
            found.append(f"a point without a picture or words: {m['html']!r}")
            continue
        if not m["line"] or m["height"] < 4 * m["line"] - 0.5:
            found.append(f"{m['height']:.0f}px picture beside {m['line']}px lines (under 4 lines): {m['words']!r}")
        if narrow and not m["above"]:
            found.append(f"picture not above its words on a narrow screen: {m['words']!r}")
        if not narrow and not m["left"]:
            found.append(f"picture not on the left of its words: {m['words']!r}")
    return found


def _font_css(sans: str, mono: str) -> str:
    return (f'*, ::before, ::after {{ font-family: "{sans}" !important; }} '
            f'code, kbd, pre, samp, code *, pre * {{ font-family: "{mono}" !important; }}')


FORCED_FONTS = [[sans, _font_css(sans, mono)] for sans, mono in REFLOW_FONTS.items()]

# One call per page: the reflow in each forced font (a style change and a layout each, no reload).
_REFLOW_IN_EACH_FONT = """fonts => {
  const reflow = REFLOW;
  const style = document.createElement('style');
  document.head.append(style);
  const found = {};
  for (const [font, css] of fonts) {
    style.textContent = css;
    found[font] = reflow();
  }
  style.remove();
  return found;
}""".replace("REFLOW", _REFLOW.strip())


@pytest.fixture(scope="module")
def js_pass(chromium, base_url, pages):
    """Every page once, JavaScript on: {site path: Visit}."""
    if isinstance(chromium, Unavailable):
        return chromium
    context = _new_context(chromium, viewport=DESKTOP)
    preload_axe(context)
    page = context.new_page()
    visits: dict[str, Visit] = {}
    current: list[Visit] = []

    def visit_of(request) -> Visit:
        """The page that made a request: its frame's document, else the page being loaded."""
        try:
            document = urlsplit(request.frame.url)
            found = visits.get(document.path) if document.netloc == urlsplit(base_url).netloc else None
        except Exception:  # noqa: BLE001 - a detached frame: fall back to the page being loaded
            found = None
        return found or current[-1]

    page.on("request", lambda request: visit_of(request).requests.append(request.url))
    page.on("requestfailed", lambda request: visit_of(request).failed_requests.append(
        (request.url, request.failure or "failed")))
    page.on("response", lambda response: response.status >= 400 and visit_of(response.request).failed_requests
            .append((response.url, f"HTTP {response.status}")))
    page.on("pageerror", lambda error: current[-1].js_errors.append(str(error).splitlines()[0]))
    def check_reflow(visit: Visit) -> None:
        for font, reflow in page.evaluate(_REFLOW_IN_EACH_FONT, FORCED_FONTS).items():
            visit.scroll_width[font], visit.overflowing[font] = reflow["scrollWidth"], reflow["culprits"]
        visit.pictures["narrow"] = page.evaluate(_PICTURES)

    try:
        for path, _ in pages:
            visit = Visit(path)
            current.append(visit)
            visits[path] = visit
            visit.load_error = _load(page, base_url + path)
            if visit.load_error:
                continue
            # One resize a page rather than two (a resize costs more than the checks): a page that
            # loads in the narrow window the previous page left is checked for reflow first.
            narrow_first = page.viewport_size == NARROW
            if narrow_first:
                check_reflow(visit)
                page.set_viewport_size(DESKTOP)
            page.keyboard.press("Tab")
            visit.first_tab = page.evaluate(_FOCUSED)
            visit.violations = run_axe(page)
            visit.pictures["desktop"] = page.evaluate(_PICTURES)
            if not narrow_first:
                page.set_viewport_size(NARROW)
                check_reflow(visit)
    finally:
        context.close()
    return visits


def _load_problems(visits: dict) -> list[str]:
    return [f"{v.path}: {v.load_error}" for v in visits.values() if v.load_error]


def test_axe_finds_no_wcag_22_aa_violation_on_any_page(js_pass):
    visits = need(js_pass)
    by_rule: dict[str, list] = defaultdict(list)
    for visit in visits.values():
        for violation in visit.violations:
            by_rule[violation["id"]].append((visit.path, violation))
    problems = _load_problems(visits)
    for rule, found in sorted(by_rule.items(), key=lambda item: -len(item[1])):
        first = found[0][1]
        summary = " ".join((first["nodes"][0].get("failureSummary") or "").split()) if first["nodes"] else ""
        lines = [
            f"{rule} ({first['impact']}) on {len(found)} of {len(visits)} pages: {first['help']}\n"
            f"    {first['helpUrl']}\n    e.g. {summary[:300]}"
        ]
        for path, violation in found[:SHOW]:
            nodes = violation["nodes"]
            target = describe_target(nodes[0]["target"]) if nodes else "?"
            extra = f" (and {len(nodes) - 1} more elements)" if len(nodes) > 1 else ""
            lines.append(f"      {path}  {target}{extra}")
        problems.append("\n".join(lines) + _more(found))
    if problems:
        count = sum(len(found) for found in by_rule.values())
        pytest.fail(
            f"axe-core ({', '.join(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])}) found "
            f"{count} violations of {len(by_rule)} rules over {len(visits)} pages:\n\n" + "\n\n".join(problems),
            pytrace=False,
        )


def test_no_page_requests_another_host(js_pass, base_url):
    visits = need(js_pass)
    by_url: dict[str, set[str]] = defaultdict(set)
    for visit in visits.values():
        for url in visit.requests:
            if not _is_local(url, base_url):
                by_url[url].add(visit.path)
    problems = _load_problems(visits) + [
        f"{url}\n      requested by {len(paths)} pages, e.g. {', '.join(sorted(paths)[:5])}"
        for url, paths in sorted(by_url.items())
    ]
    if problems:
        pytest.fail(
            "Pages must load everything from this site (no fonts, scripts, images or analytics from "
            "other hosts). These requests went elsewhere:\n  " + "\n  ".join(problems),
            pytrace=False,
        )


def test_every_request_a_page_makes_succeeds(js_pass, base_url):
    """Extra: the CSS, scripts, fonts and images each page asks for exist (HTTP 200)."""
    visits = need(js_pass)
    by_url: dict[str, dict] = defaultdict(dict)  # url -> {page: reasons}
    for visit in visits.values():
        for url, why in visit.failed_requests:
            if why == "net::ERR_ABORTED":
                continue  # cancelled by the next navigation (a missing file also shows as HTTP 404)
            if _is_local(url, base_url):  # requests to other hosts fail on purpose and are reported above
                by_url[url.removeprefix(base_url)].setdefault(visit.path, set()).add(why)
    problems = _load_problems(visits) + [
        f"{url} ({', '.join(sorted(set().union(*pages.values())))}), asked for by {len(pages)} pages, "
        f"e.g. {', '.join(sorted(pages)[:5])}"
        for url, pages in sorted(by_url.items())
    ]
    if problems:
        pytest.fail("These files were asked for but not served:\n  " + "\n  ".join(problems), pytrace=False)


def test_no_page_has_a_javascript_error(js_pass):
    """Extra: no uncaught JavaScript error while a page loads."""
    visits = need(js_pass)
    by_error: dict[str, list[str]] = defaultdict(list)
    for visit in visits.values():
        for error in visit.js_errors:
            if visit.path not in by_error[error]:
                by_error[error].append(visit.path)
    problems = [f"{error}\n      on {len(paths)} pages, e.g. {', '.join(paths[:5])}"
                for error, paths in by_error.items()]
    if problems:
        pytest.fail("Uncaught JavaScript errors:\n  " + "\n  ".join(problems), pytrace=False)


def test_easy_read_pictures_are_four_lines_tall_on_the_left_and_above_their_words_when_narrow(js_pass):
    visits = need(js_pass)
    problems, measured = [], 0
    for visit in visits.values():
        for where, points in visit.pictures.items():
            measured += len(points)
            problems += [f"{visit.path} ({where}): {p}" for p in picture_problems(points, where == "narrow")]
    easy = [v for v in visits.values() if v.path.startswith("/easy-read/")]
    assert all(v.pictures.get("desktop") for v in easy if not v.load_error), "an easy-read page without pictures"
    assert measured > 2 * 500, measured
    assert not problems, f"{len(problems)} pictures are too small or misplaced:\n  " + "\n  ".join(problems[:SHOW])


def test_easy_read_pictures_grow_with_the_text(chromium, base_url):
    """A reader who doubles the text size gets pictures twice as big: still four lines of the bigger words."""
    browser = need(chromium)
    context = _new_context(browser, viewport=DESKTOP)
    try:
        page = context.new_page()
        assert _load(page, base_url + "/easy-read/") is None
        before = page.evaluate(_PICTURES)
        page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
        after = page.evaluate(_PICTURES)
    finally:
        context.close()
    assert before and len(before) == len(after)
    assert not picture_problems(after, narrow=False), picture_problems(after, narrow=False)[:5]
    assert all(a["height"] >= 1.9 * b["height"] for a, b in zip(after, before))


_PRINTED = """() => {
  const hidden = sel => [...document.querySelectorAll(sel)].every(el => getComputedStyle(el).display === 'none');
  const external = [...document.querySelectorAll('main a[href^="http"]')][0];
  return {
    navigation: hidden('.govuk-service-navigation__wrapper'), skip: hidden('.govuk-skip-link'),
    footer_links: hidden('.govuk-footer__inline-list'), twin: hidden('.twin-link'),
    main: getComputedStyle(document.querySelector('main')).display !== 'none',
    address: external ? getComputedStyle(external, '::after').content : null,
    href: external ? external.getAttribute('href') : null,
    together: [...document.querySelectorAll('.er-point')].map(el => getComputedStyle(el).breakInside),
  };
}"""


def test_printing_a_page_leaves_out_the_site_around_it_and_keeps_pictures_with_their_words(chromium, base_url, site):
    browser = need(chromium)
    provider = next(p for p in sorted((site / "providers").iterdir()) if p.is_dir()
                    and 'href="http' in (p / "index.html").read_text(encoding="utf-8").split("<main", 1)[1])
    context = _new_context(browser, viewport=DESKTOP)
    try:
        page = context.new_page()
        page.emulate_media(media="print")
        printed = {}
        for path in (f"/providers/{provider.name}/", f"/easy-read/providers/{provider.name}/"):
            assert _load(page, base_url + path) is None
            printed[path] = page.evaluate(_PRINTED)
    finally:
        context.close()
    for path, seen in printed.items():
        assert seen["main"] and seen["navigation"] and seen["skip"] and seen["footer_links"] and seen["twin"], (path,
                                                                                                               seen)
    standard = printed[f"/providers/{provider.name}/"]
    assert standard["href"] and standard["href"] in standard["address"], standard
    easy = printed[f"/easy-read/providers/{provider.name}/"]
    assert easy["together"] and set(easy["together"]) == {"avoid"}, easy["together"]


def test_first_tab_lands_on_the_skip_link_on_every_page(js_pass):
    visits = need(js_pass)
    wrong = [
        f"{v.path}: the first Tab focused {v.first_tab['what']}"
        for v in visits.values()
        if v.first_tab is not None and not v.first_tab["ok"]
    ]
    problems = _load_problems(visits) + wrong[:SHOW]
    if problems:
        pytest.fail(
            f"On {len(wrong)} of {len(visits)} pages the first Tab does not land on "
            '<a class="govuk-skip-link" href="#main-content">; it must be the first focusable element:\n  '
            + "\n  ".join(problems) + _more(wrong),
            pytrace=False,
        )


@pytest.fixture(scope="module")
def fonts_drawn(chromium) -> dict[str, list[str]]:
    """The fonts Chromium really draws when the reflow check forces each font: {font: families}.

    Asked of DevTools (CSS.getPlatformFontsForNode reports the installed font each text was drawn
    in), since a missing font silently falls back to another and document.fonts.check() says yes
    to local fonts whether or not they are installed."""
    if isinstance(chromium, Unavailable):
        return chromium
    context = _new_context(chromium)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    drawn: dict[str, list[str]] = {}
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        for (sans, mono), (_, css) in zip(REFLOW_FONTS.items(), FORCED_FONTS):
            page.set_content(f"<style>{css}</style><p>Reflow <b>bold</b></p><p><code>code_name</code></p>")
            root = cdp.send("DOM.getDocument")["root"]["nodeId"]
            for font, selector in ((sans, "p"), (sans, "b"), (mono, "code")):
                node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
                fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
                drawn.setdefault(font, []).extend(f["familyName"] for f in fonts)
    finally:
        context.close()
    return drawn


@pytest.mark.parametrize("font", list(REFLOW_FONTS), ids=lambda font: font.replace(" ", "-"))
def test_no_page_scrolls_sideways_at_320_pixels(js_pass, fonts_drawn, font):
    visits, drawn = need(js_pass), need(fonts_drawn)
    for wanted in (font, REFLOW_FONTS[font]):
        if set(drawn[wanted]) != {wanted}:
            pytest.fail(
                f"The reflow check forces {wanted!r}, but Chromium drew it as {sorted(set(drawn[wanted]))}: "
                f"the font is not installed, so the check would measure another font. Run `make test` "
                f"(scripts/install-test-tools.sh installs it: `apt-get install {FONT_PACKAGES}`).",
                pytrace=False,
            )
    width = NARROW["width"]
    wide = [v for v in visits.values() if v.scroll_width.get(font, 0) > width]
    problems = _load_problems(visits) + [
        f"{v.path}: {v.scroll_width[font]}px wide; too wide:"
        + ("\n      ".join(["", *v.overflowing[font]]) if v.overflowing[font] else "(none found outside scroll boxes)")
        for v in wide[:SHOW]
    ]
    if problems:
        pytest.fail(
            f"In {font}, {len(wide)} of {len(visits)} pages scroll sideways in a {width}px-wide window "
            f"(WCAG 1.4.10 Reflow). A wide table goes in ui.table (it scrolls in its own box); a long "
            f"word must be able to wrap:\n  " + "\n  ".join(problems) + _more(wide),
            pytrace=False,
        )


# -- pass 2: JavaScript off ----------------------------------------------------------------------


_NOJS = """() => {
  const visible = el => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const mains = [...document.querySelectorAll('main')];
  const main = mains.find(visible);
  const h1 = main ? [...main.querySelectorAll('h1')].find(h => visible(h) && h.innerText.trim()) : null;
  return {
    mains: mains.length, visibleMain: !!main, h1: !!h1,
    jsRequired: [...document.querySelectorAll('.js-required')]
      .map(el => el.outerHTML.replace(/\\s+/g, ' ').slice(0, 100)),
  };
}"""


@pytest.fixture(scope="module")
def nojs_pass(chromium, base_url, pages):
    """Every page except the search page with JavaScript off: {site path: [problems]}."""
    if isinstance(chromium, Unavailable):
        return chromium
    context = _new_context(chromium, viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    results = {}
    try:
        for path, _ in pages:
            if path == SEARCH_PAGE:
                continue
            problems = results[path] = []
            error = _load(page, base_url + path)
            if error:
                problems.append(error)
                continue
            found = page.evaluate(_NOJS)
            if not found["visibleMain"]:
                problems.append(f"no visible <main> ({found['mains']} <main> elements)")
            elif not found["h1"]:
                problems.append("<main> has no visible <h1> with text")
            for element in found["jsRequired"]:
                problems.append(f"has a .js-required element: {element}")
    finally:
        context.close()
    return results


def test_every_page_but_search_works_without_javascript(nojs_pass):
    results = need(nojs_pass)
    failing = [(path, problems) for path, problems in results.items() if problems]
    if failing:
        pytest.fail(
            f"{len(failing)} of {len(results)} pages do not work with JavaScript off (only {SEARCH_PAGE} "
            "may need it):\n  " + "\n  ".join(f"{path}: {'; '.join(p)}" for path, p in failing[:SHOW])
            + _more(failing),
            pytrace=False,
        )


# -- the Nu HTML Checker -----------------------------------------------------------------------


def test_nu_html_checker_finds_no_errors(site):
    nu_check(site)


# -- links and page weight, from the files -------------------------------------------------------

# Attributes holding a URL (srcset holds a list of them; data counts on <object> only).
URL_ATTRIBUTES = {"href", "src", "srcset", "poster", "data", "action", "formaction", "cite"}
# Tags whose URL the browser fetches to show the page (a resource, not a link).
RESOURCE_TAGS = {"script", "img", "iframe", "source", "video", "audio", "track", "embed", "object", "input"}
# <link rel> values that do not fetch anything when the page loads.
LINK_RELS_NOT_LOADED = {"alternate", "canonical", "license", "author", "help", "next", "prev", "search",
                        "bookmark", "external", "me", "privacy-policy", "terms-of-service", "home"}


@dataclass
class Reference:
    tag: str
    attribute: str
    value: str
    line: int
    resource: bool  # fetched when the page loads


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.references: list[Reference] = []
        self.base: str | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("id",) + (("name",) if tag == "a" else ()):
            if values.get(name):
                self.ids.add(values[name])
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        line = self.getpos()[0]
        rels = set((values.get("rel") or "").lower().split())
        for attribute, value in attrs:
            if attribute not in URL_ATTRIBUTES or value is None or (attribute == "data" and tag != "object"):
                continue
            if tag == "link":
                resource = attribute == "href" and not (rels and rels <= LINK_RELS_NOT_LOADED)
            else:
                resource = tag in RESOURCE_TAGS and attribute in ("src", "srcset", "poster", "data")
            candidates = [c.strip().split()[0] for c in value.split(",") if c.strip()] if attribute == "srcset" \
                else [value.strip()]
            for candidate in candidates:
                self.references.append(Reference(tag, attribute, candidate, line, resource))

    handle_startendtag = handle_starttag


@dataclass
class ParsedPage:
    path: str
    file: Path
    ids: set
    references: list
    base: str | None


@pytest.fixture(scope="module")
def parsed_pages(pages) -> dict[Path, ParsedPage]:
    return parse_pages(pages)


def parse_pages(pages) -> dict[Path, ParsedPage]:
    """Each page's ids and references, as ``html_pages`` lists them."""
    parsed = {}
    for path, file in pages:
        parser = _PageParser()
        parser.feed(file.read_text(encoding="utf-8", errors="replace"))
        parser.close()
        parsed[file.resolve()] = ParsedPage(path, file, parser.ids, parser.references, parser.base)
    return parsed


def _resolve(page: ParsedPage, value: str, site: str):
    """(kind, parts) for a reference: kind is 'internal', 'external' or 'other' (mailto:, tel:, …)."""
    public = site + page.path
    base = urljoin(public, page.base) if page.base else public
    absolute = urljoin(base, value)
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https"):
        return "other", parts
    home = urlsplit(site)
    if parts.hostname == home.hostname and (parts.path + "/").startswith(home.path.rstrip("/") + "/"):
        return "internal", parts
    return "external", parts


def test_no_internal_link_is_broken_and_no_resource_comes_from_another_host(site, parsed_pages):
    broken, external, problems = link_problems(site, parsed_pages)
    if problems:
        pytest.fail(
            f"{broken} broken internal links and {external} resources from other hosts:\n  "
            + "\n  ".join(problems[:40]) + _more(problems, 40),
            pytrace=False,
        )


def link_problems(site: Path, parsed_pages: dict[Path, ParsedPage]) -> tuple[int, int, list[str]]:
    """(broken internal links, resources from other hosts, a line for each) of a built site."""
    home = site_url()
    prefix = urlsplit(home).path.rstrip("/")
    broken: dict[tuple, list[str]] = defaultdict(list)
    external: dict[str, list[str]] = defaultdict(list)
    for page in parsed_pages.values():
        for ref in page.references:
            if not ref.value or ref.value == "#":
                continue
            kind, parts = _resolve(page, ref.value, home)
            where = f"{page.path} (line {ref.line})"
            if kind == "external":
                if ref.resource:
                    external[f"<{ref.tag} {ref.attribute}=\"{ref.value}\">"].append(where)
                continue
            if kind != "internal":
                continue
            path = unquote(parts.path)[len(prefix):] or "/"
            target = url_to_file(site, path)
            label = f"<{ref.tag} {ref.attribute}=\"{ref.value}\">"
            if target is None:
                folder = site / path.lstrip("/")
                why = (f"{path} is a folder: link to {path}/ (with the slash)" if folder.is_dir() and path != "/"
                       else f"no file {path}" + ("index.html" if path.endswith("/") else ""))
                broken[(label, why)].append(where)
                continue
            fragment = unquote(parts.fragment)
            if not fragment or fragment.lower() == "top" or fragment.startswith(":~:"):
                continue
            linked = parsed_pages.get(target.resolve())
            if linked is not None and fragment not in linked.ids:
                broken[(label, f"{linked.path} has no id=\"{fragment}\"")].append(where)
    problems = [
        f"{label}: {why}\n      on {len(where)} pages, e.g. " + ", ".join(where[:4])
        for (label, why), where in sorted(broken.items(), key=lambda item: -len(item[1]))
    ]
    problems += [
        f"{label} loads a resource from another host (copy it into the theme)\n      on {len(where)} pages, "
        "e.g. " + ", ".join(where[:4])
        for label, where in sorted(external.items())
    ]
    return len(broken), len(external), problems


def test_median_page_weight_is_under_60_kb(site, parsed_pages):
    """A page's HTML plus what it loads from this site (images, objects, any CSS or JS of its own),
    not the shared CSS and JS under /theme/ and /pagefind/; the median over all pages."""
    home = site_url()
    prefix = urlsplit(home).path.rstrip("/")
    weights = []
    for page in parsed_pages.values():
        parts_counted: dict[str, int] = {}
        for ref in page.references:
            if not ref.resource:
                continue
            kind, parts = _resolve(page, ref.value, home)
            path = unquote(parts.path)[len(prefix):] or "/"
            if kind != "internal" or path.startswith(SHARED_ASSETS):
                continue
            target = url_to_file(site, path)
            if target is not None:
                parts_counted[path] = target.stat().st_size
        html = page.file.stat().st_size
        weights.append((html + sum(parts_counted.values()), html, parts_counted, page.path))
    median = statistics.median(w[0] for w in weights)
    if median >= MEDIAN_PAGE_WEIGHT_LIMIT:
        heaviest = sorted(weights, key=lambda w: w[0], reverse=True)[:SHOW]
        pytest.fail(
            f"The median page weighs {median / 1000:.1f} KB without the shared CSS and JS "
            f"(limit {MEDIAN_PAGE_WEIGHT_LIMIT / 1000:.0f} KB). Heaviest pages:\n  "
            + "\n  ".join(
                f"{path}: {total / 1000:.1f} KB = HTML {html / 1000:.1f} KB"
                + "".join(f" + {p} {size / 1000:.1f} KB" for p, size in sorted(files.items(), key=lambda i: -i[1])[:4])
                for total, html, files, path in heaviest
            ),
            pytrace=False,
        )


def _search(chromium, base_url: str, words: str) -> tuple[list[str], list[str]]:
    """Type ``words`` into the search page: the (links, titles) of the results."""
    browser = need(chromium)
    context = _new_context(browser)
    page = context.new_page()
    try:
        problem = _load(page, base_url + SEARCH_PAGE)
        assert problem is None, problem
        page.fill("input.pagefind-ui__search-input", words)
        try:
            page.wait_for_selector(".pagefind-ui__result-link", timeout=PAGE_TIMEOUT_MS)
        except Exception:  # noqa: BLE001 - no result: say what the search box said instead
            message = page.query_selector(".pagefind-ui__message")
            return [], [message.inner_text() if message else "(no message either)"]
        links = [a.get_attribute("href") for a in page.query_selector_all(".pagefind-ui__result-link")]
        titles = [a.inner_text() for a in page.query_selector_all(".pagefind-ui__result-link")]
    finally:
        context.close()
    return links, titles


def test_search_for_a_former_name_finds_the_everyday_life_activities_page_first(chromium, base_url):
    """Pagefind, in the browser: "day opportunities" is a former name of the DPS."""
    links, titles = _search(chromium, base_url, "day opportunities")
    assert links, f"the search found nothing: {titles}"
    assert links[0] == "/programmes/everyday-life-activities/", (links[:5], titles[:5])
    assert "Everyday Life Activities" in titles[0]


def test_search_finds_a_provider_page_indexed_in_another_shard(chromium, base_url, site):
    """The index comes in shards; the search box merges them. "tandem" is only in Weald Wheels'
    description, on its own page, which is not in the hub's shard."""
    from dps_publish.site.search import HUB, plan_shards

    provider_page = "providers/weald-wheels/index.html"
    plan = plan_shards(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    shard = next(name for name, files in plan.items() if provider_page in files)
    assert shard != HUB
    assert (site / "pagefind" / "shards" / shard / "pagefind-entry.json").is_file()
    links, titles = _search(chromium, base_url, "tandem")
    assert links, f"the search found nothing: {titles}"
    assert links[:1] == ["/providers/weald-wheels/"], (links[:5], titles[:5])
    assert "Weald Wheels" in titles[0]

