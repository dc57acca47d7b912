"""The one publish sequence the CLI and the desk share: plan, send in order, switch, verify from the public
address, record; and rollback, which makes the previous release live again byte for byte.

A failure before the switch leaves the old release serving. A failure after it (verification included)
puts the previous release back. Every text that leaves here (messages, the hosts log) has been through
``Secrets.redact``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .base import Driver, HostError
from .config import WebHost
from .drivers import open_driver
from .failures import check_failure, failure_in_words, failure_of
from .keep import KeptReleases
from .log import DeployLog
from .manifest import Manifest, ManifestError, manifest_of, release_id
from .plan import Plan, make_plan
from .secrets import Secrets
from .verify import Verification, verify_release

Progress = Callable[[str, int, int], None]  # step, done, of


@dataclass(frozen=True)
class Target:
    """Where a site goes live: the host, the public address, and where it is checked from."""

    host: WebHost
    address: str  # the public address, SITEURL

    @property
    def check_address(self) -> str:
        return (self.host.verify_url or self.address).rstrip("/")


@dataclass
class Outcome:
    action: str  # "dry-run", "up-to-date", "live", "rolled-back"
    where: str
    address: str
    release: str
    previous: str | None = None
    plan: Plan | None = None
    verification: Verification | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"action": self.action, "where": self.where, "address": self.address, "release": self.release,
                "previous": self.previous, "plan": self.plan.to_dict() if self.plan else None,
                "checked": self.verification.checked if self.verification else 0,
                "links": self.verification.links if self.verification else 0, "notes": self.notes}


class DeployFailed(HostError):
    """Going live failed; ``switched`` says whether the new release had been switched to, ``put_back``
    whether the previous release is live again. The message says what the public sees now."""

    def __init__(self, message: str, switched: bool = False, put_back: bool = False):
        super().__init__(message)
        self.switched, self.put_back = switched, put_back


def target_of(settings) -> Target:
    if getattr(settings, "web_host", None) is None:
        raise HostError("No web host is set, so there is nowhere to go live. Add WEB_HOST to the settings file "
                        '(like WEB_HOST = {"kind": "releases", "path": "/srv/dps"}); the README\'s "Going live" '
                        "section says which kind suits which host.")
    return Target(settings.web_host, settings.site_url)


def deploy(site: Path, target: Target, secrets: Secrets, cache: Path, *, dry_run: bool = False,
           reason: str | None = None, by: str | None = None, on_progress: Progress | None = None,
           on_plan: Callable[[Plan], None] | None = None) -> Outcome:
    """Make the site in ``site`` live at ``target`` (or, with ``dry_run``, say what that would do). ``on_plan`` is
    told the plan before anything is sent (the desk shows it while sending)."""
    progress = on_progress or (lambda step, done, of: None)
    with _driver(target, secrets) as driver:
        try:
            blockers = driver.preflight()
            state = driver.state()
            new = _manifest(site, state.live, KeptReleases(cache))
            plan = make_plan(new, state.live, state.pending, reason)
        except HostError as exc:
            raise HostError(_in_words(exc, target, secrets)) from None
        notes = _notes(driver, state)
        outcome = Outcome("dry-run", driver.where, target.address, plan.release.release,
                          state.live.release if state.live else None, plan, notes=notes + blockers)
        if dry_run:
            return outcome
        if blockers:
            raise HostError(_blocked(blockers, target, secrets))
        if on_plan is not None:
            on_plan(plan)
        log, kept = DeployLog(cache), KeptReleases(cache)
        if plan.nothing_to_do:
            outcome.action, outcome.release = "up-to-date", state.live.release
            recorded = log.went_live(driver.where)
            if not recorded or recorded[-1] != state.live.release:  # switched to, never checked: check it now
                outcome.verification = _complete(driver, state.live, recorded[-1] if recorded else None, site,
                                                 target, secrets, kept, log, by, progress)
                outcome.action = "live"
                outcome.notes.append(f"The last deploy stopped after switching to release {state.live.release}, "
                                     "before checking it: it has been checked now and recorded as live.")
            return outcome
        kept.keep(site, plan.release)
        if state.live is not None and kept.manifest(state.live.release) is None:
            outcome.notes.append(f"The release the public read before ({state.live.release}) is not kept on this "
                                 "computer: it can be put back only where the host keeps it.")
        _send(driver, plan, site, target, secrets, progress, before="going live")
        outcome.verification = _switch_and_verify(driver, plan, site, target, secrets, kept, log, by,
                                                  "deploy", progress)
        outcome.action = "live"
        kept.prune(target.host.keep, {plan.release.release, outcome.previous or ""})
        return outcome


def rollback(target: Target, secrets: Secrets, cache: Path, *, reason: str, to: str | None = None,
             by: str | None = None, on_progress: Progress | None = None) -> Outcome:
    """Make the release the public read before the live one (or release ``to``) live again, byte for byte."""
    if not (reason and reason.strip()):
        raise HostError('Say why the previous version is put back, like --reason "a provider\'s page showed the '
                        'wrong phone number": it is kept in the hosts log.')
    progress = on_progress or (lambda step, done, of: None)
    log, kept = DeployLog(cache), KeptReleases(cache)
    with _driver(target, secrets) as driver:
        try:
            state = driver.state()
        except HostError as exc:
            raise HostError(_in_words(exc, target, secrets)) from None
        if state.live is None:
            raise HostError(f"Nothing has gone live at {driver.where} yet, so there is nothing to put back.")
        wanted = to or log.live_before(state.live.release, driver.where) or _older(state.kept, state.live.release) \
            or _older(tuple(kept.releases()), state.live.release)
        if not wanted or wanted == state.live.release:
            raise HostError(f"There is no earlier release of the site to put back at {driver.where}: the one live "
                            f"now ({state.live.release}) is the first this computer knows of.")
        previous = kept.manifest(wanted) or _held(driver, wanted)
        if previous is None:
            raise HostError(f"Release {wanted} is neither kept on this computer nor at {driver.where}, so it cannot "
                            "be put back. The releases kept here: " + (", ".join(kept.releases()) or "none") + ".")
        back = Manifest(previous.release, previous.made, previous.files, rolled_back_from=state.live.release)
        plan = make_plan(back, state.live, state.pending, confirmed_reason=reason)
        outcome = Outcome("rolled-back", driver.where, target.address, wanted, state.live.release, plan,
                          notes=_notes(driver, state))
        if driver.activate(wanted):
            verification = _verify(plan, target, kept.site(wanted) if kept.manifest(wanted) else None, secrets,
                                   progress)
            if not verification.ok:
                driver.activate(state.live.release)
                raise DeployFailed(_failed_check(verification, target, secrets, put_back=True, what="put back"),
                                   switched=True, put_back=True)
            driver.finish(target.host.keep)
            log.append({"action": "rollback", "live": True, "release": wanted, "previous": state.live.release,
                        "where": driver.where, "address": target.address, "reason": secrets.redact(reason),
                        "by": by, "checked": verification.checked})
            outcome.verification = verification
            return outcome
        site = kept.site(wanted)
        _send(driver, plan, site, target, secrets, progress, before="putting back the previous version")
        outcome.verification = _switch_and_verify(driver, plan, site, target, secrets, kept, log, by, "rollback",
                                                  progress, reason=reason)
        return outcome


# --- the steps ---------------------------------------------------------------------------------------------------


class _driver:
    def __init__(self, target: Target, secrets: Secrets):
        self.target, self.secrets = target, secrets

    def __enter__(self) -> Driver:
        try:
            self.driver = open_driver(self.target.host, self.secrets)
        except HostError as exc:
            raise HostError(_in_words(exc, self.target, self.secrets)) from None
        return self.driver

    def __exit__(self, *exc) -> None:
        try:
            self.driver.close()
        except Exception:  # closing a connection that already failed says nothing new
            pass


def _manifest(site: Path, live: Manifest | None, kept: KeptReleases) -> Manifest:
    if not (site / "index.html").is_file():
        raise HostError(f"There is no built site in {site} (no index.html). Build it first: dps-publish build.")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    known = kept.manifest(live.release) if live is not None else None  # its files' sha256 need no reading again
    try:
        draft = manifest_of(site, "", now.isoformat(), known, kept.site(live.release) if known else None)
    except (ManifestError, ValueError) as exc:
        raise HostError(f"{exc} Nothing was sent; the public site is unchanged.") from None
    return replace(draft, release=release_id(now, draft.files))


def _notes(driver: Driver, state) -> list[str]:
    if state.partly_live:
        return [f"The last deploy to {driver.where} stopped part way: the site there is partly live (release "
                f"{state.pending.release} was being sent over {state.live.release if state.live else 'nothing'}). "
                "This deploy completes it."]
    return []


def _send(driver: Driver, plan: Plan, site: Path, target: Target, secrets: Secrets, progress: Progress,
          before: str) -> None:
    try:
        driver.begin(plan)
        for done, entry in enumerate(plan.upload, start=1):
            driver.put(entry, site / entry.path)
            progress("upload", done, len(plan.upload))
    except Exception as exc:  # a driver's library may fail in its own way (a dropped connection): said in words
        raise DeployFailed(_in_words(exc, target, secrets, f"{_what(exc)} while {before}, at {driver.where}"),
                           switched=False) from None


def _in_words(exc: BaseException, target: Target, secrets: Secrets, detail: str | None = None) -> str:
    """What went wrong, led by the plain words of ``failures.py`` where the failure is the web host's, then what the
    public sees and what to do; redacted. Anything else (no built site, a manifest that cannot be read) as it is."""
    failure = failure_of(exc, target.host)
    if failure.kind == "other" and detail is None:
        return secrets.redact(str(exc))
    detail = detail or _what(exc)
    said = f"{detail.rstrip('.')}. Try again." if failure.kind == "other" else failure.words(detail)
    if "previous version" in said or "unchanged" in said:
        return secrets.redact(said)
    return secrets.redact(f"{said} The public site still shows the previous version.")


def _blocked(blockers: list[str], target: Target, secrets: Secrets) -> str:
    detail = " ".join(blockers)
    failure = failure_in_words(detail, target.host)
    said = detail if failure.kind == "other" else failure.words(detail)
    return secrets.redact(f"{said} Nothing was sent; the public site is unchanged.")


def _what(exc: BaseException) -> str:
    if isinstance(exc, HostError):
        return str(exc).rstrip(".")
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or type(exc).__name__}{where}"
    return f"The web host stopped answering as expected ({type(exc).__name__})"


def _switch_and_verify(driver: Driver, plan: Plan, site: Path, target: Target, secrets: Secrets,
                       kept: KeptReleases, log: DeployLog, by: str | None, action: str, progress: Progress,
                       reason: str | None = None) -> Verification:
    previous = plan.live
    try:
        driver.switch(plan)
    except Exception as exc:  # as in _send
        raise DeployFailed(_in_words(exc, target, secrets, f"{_what(exc)} while switching to the new version at "
                                                           f"{driver.where}")) from None
    verification = _verify(plan, target, site, secrets, progress)
    if not verification.ok:
        put_back = previous is not None and _put_back(driver, previous, plan, kept, secrets)
        log.append({"action": action, "live": False, "release": plan.release.release, "where": driver.where,
                    "address": target.address, "put_back": put_back, "by": by,
                    "problems": [secrets.redact(p) for p in verification.problems[:20]]})
        raise DeployFailed(_failed_check(verification, target, secrets, put_back, "went live",
                                         first=previous is None), switched=True, put_back=put_back)
    driver.delete(plan.delete)
    driver.finish(target.host.keep)
    event = {"action": action, "live": True, "release": plan.release.release,
             "previous": previous.release if previous else None, "where": driver.where, "address": target.address,
             "uploaded": len(plan.upload), "bytes": plan.bytes_to_send, "deleted": len(plan.delete),
             "checked": verification.checked, "by": by}
    if reason or plan.confirmed_reason:
        event["reason"] = secrets.redact(reason or plan.confirmed_reason)
    log.append(event)
    return verification


def _complete(driver: Driver, live: Manifest, previous_id: str | None, site: Path, target: Target,
              secrets: Secrets, kept: KeptReleases, log: DeployLog, by: str | None,
              progress: Progress) -> Verification:
    """Check and record a release that an interrupted deploy switched to: every file that differs from the release
    live before it (all of them if that one is not known) is checked from the public address."""
    previous = kept.manifest(previous_id) if previous_id else None
    plan = make_plan(live, previous, confirmed_reason="completing an interrupted deploy")
    verification = _verify(plan, target, site, secrets, progress)
    if not verification.ok:
        put_back = previous is not None and _put_back(driver, previous, plan, kept, secrets)
        raise DeployFailed(_failed_check(verification, target, secrets, put_back, "had gone live",
                                         first=previous is None), switched=True, put_back=put_back)
    driver.delete(plan.delete)
    driver.finish(target.host.keep)
    log.append({"action": "deploy", "live": True, "release": live.release, "previous": previous_id,
                "where": driver.where, "address": target.address, "uploaded": 0, "bytes": 0,
                "deleted": len(plan.delete), "checked": verification.checked, "by": by, "completed": True})
    return verification


def _verify(plan: Plan, target: Target, site: Path | None, secrets: Secrets, progress: Progress) -> Verification:
    changed = [e.path for e in plan.upload]
    verification = verify_release(target.check_address, plan.release, changed, site or Path("/nonexistent"),
                                  ca_file=target.host.ca_file, on_progress=lambda d, n: progress("verify", d, n))
    verification.problems = [secrets.redact(p) for p in verification.problems]
    return verification


def _put_back(driver: Driver, previous: Manifest, failed: Plan, kept: KeptReleases, secrets: Secrets) -> bool:
    """The previous release live again after a failed check: in one step where the host keeps it, otherwise sent
    again from this computer's copy."""
    try:
        if driver.activate(previous.release):
            return True
        site = kept.site(previous.release)
        if kept.manifest(previous.release) is None:
            return False
        back = Manifest(previous.release, previous.made, previous.files, rolled_back_from=failed.release.release)
        plan = make_plan(back, failed.release, confirmed_reason="the new release failed its check")
        driver.begin(plan)
        for entry in plan.upload:
            driver.put(entry, site / entry.path)
        driver.switch(plan)
        return True
    except (HostError, OSError):
        return False


def _failed_check(verification: Verification, target: Target, secrets: Secrets, put_back: bool, what: str,
                  first: bool = False) -> str:
    shown = "; ".join(verification.problems[:5])
    more = f" (and {len(verification.problems) - 5} more)" if len(verification.problems) > 5 else ""
    if put_back:
        now = "The previous version was put back: the public site shows it again."
    elif first:
        now = ("This was the first version sent to this host, so there is no earlier one to put back: fix what the "
               "check found (often the web server's configuration: see docs/hosting/) and deploy again.")
    else:
        now = ("The previous version could not be put back: the public site may show the new version with faults. "
               "Run dps-publish rollback, or ask IT to check the web host.")
    failure = check_failure(verification.problems, target.check_address)
    lead = failure.lead[:1].upper() + failure.lead[1:]
    return secrets.redact(f"{lead}. The new version {what} but the check from {target.check_address} found "
                          f"problems: {shown}{more}. {now} {failure.todo}")


def _older(releases: tuple[str, ...], live: str) -> str | None:
    older = sorted((r for r in releases if r < live), reverse=True)
    return older[0] if older else None


def _held(driver: Driver, release: str) -> Manifest | None:
    try:
        return driver.held(release)
    except HostError:
        return None
