"""Going live, measured: a releases folder behind Caddy and Azure Blob Storage ($web, Azurite) behind Caddy.

    python bench/hosts.py [--scale 1.0] [--work /tmp/dps-bench-hosts] [--example-only | --county-only]
    python bench/hosts.py --sites FIRST EDITED   (two sites built elsewhere, such as bench/standin.py's)

For the example (data/) and for the county-times-ten data (bench/generate.py at --scale), it builds the site,
edits one provider and builds again (each build is kept in --work and reused by the next run: delete the folder
to build again), then, on a fresh server of each kind started on 127.0.0.1, makes three deploys: the first
release, the same site again (nothing changed) and the one-provider edit. Each is timed from the start of the
deploy until it is checked from the public address and recorded as live. Prints a table: seconds and files
sent. Timings live here, never in the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from run import BIN, edit_one_provider  # noqa: E402

TARGET = 30.0  # seconds for a one-provider edit to go live at county scale
ADDRESS = "https://support.northshire.gov.uk"
ACCOUNT = "dpsbench"


def build(data: Path, output: Path, cache: Path, frozen: Path, leave_out: tuple[str, ...] = ()) -> None:
    subprocess.run([str(BIN / "dps-publish"), "build", "--data", str(data), "--output", str(output), "--cache",
                    str(cache), "--frozen", str(frozen), *(f"--leave-out={kind}" for kind in leave_out)],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def sites(name: str, data: Path, frozen: Path, work: Path, leave_out: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """The site built from ``data`` and the site built after editing one provider, each a folder of its own (the
    county's without its recordings: bench/audio.py measures those, a one-off first build of their own)."""
    folder = work / name
    first, edited = folder / "first", folder / "edited"
    edited_data, output, cache = folder / "bench-data", folder / "output", folder / "cache"
    if not (first / "index.html").exists():
        shutil.rmtree(edited_data, ignore_errors=True)
        shutil.copytree(data, edited_data)
        build(edited_data, output, cache, frozen, leave_out)
        shutil.rmtree(first, ignore_errors=True)
        shutil.copytree(output, first, copy_function=os.link)  # a build replaces output/ whole, never a file in it
    if not (edited / "index.html").exists():
        edit_one_provider(edited_data)
        build(edited_data, output, cache, frozen, leave_out)
        shutil.copytree(output, edited, copy_function=os.link)
    return first, edited


@contextmanager
def releases_behind_caddy(folder: Path):
    from hosting import caddy

    from dps_publish.hosts.config import web_host_of
    from dps_publish.hosts.deploy import Target
    from dps_publish.hosts.secrets import Secrets

    with caddy(folder, folder / "site") as server:
        host = web_host_of({"kind": "releases", "path": str(server.releases), "verify_url": server.address,
                            "ca_file": str(server.ca_file)})
        yield Target(host, ADDRESS), Secrets({}, {})


@contextmanager
def azurite_behind_caddy(folder: Path):
    from azure.storage.blob import BlobServiceClient, StaticWebsite
    from object_store_support import azurite, planted_key, website

    from dps_publish.hosts.config import web_host_of
    from dps_publish.hosts.deploy import Target
    from dps_publish.hosts.secrets import Secrets

    key = planted_key("bench")
    with ExitStack() as servers:
        store = servers.enter_context(azurite(folder / "azurite", {ACCOUNT: key}))
        endpoint = f"http://127.0.0.1:{store.port}/{ACCOUNT}"
        service = BlobServiceClient(endpoint, credential={"account_name": ACCOUNT, "account_key": key})
        service.create_container("$web", public_access="blob")
        service.set_service_properties(static_website=StaticWebsite(enabled=True, index_document="index.html",
                                                                    error_document404_path="404.html"))
        site = servers.enter_context(website(folder / "caddy", store.port, f"/{ACCOUNT}/$web"))
        host = web_host_of({"kind": "azure", "account": ACCOUNT, "endpoint": endpoint,
                            "verify_url": f"http://127.0.0.1:{site.port}"})
        yield Target(host, ADDRESS), Secrets({"account_key": key}, {"account_key": "the benchmark"})


HOSTS = {"releases folder behind Caddy": releases_behind_caddy, "Azurite ($web) behind Caddy": azurite_behind_caddy}


def measure(first: Path, edited: Path, server, folder: Path) -> list[tuple[str, int, int, int, float]]:
    """(step, files sent, bytes sent, files in the release, seconds) for the three deploys."""
    from dps_publish.hosts.deploy import deploy

    rows = []
    with server(folder) as (target, secrets):
        for step, site in (("first release", first), ("nothing changed", first), ("one provider edited", edited)):
            started = time.perf_counter()
            outcome = deploy(site, target, secrets, folder / "cache")
            seconds = time.perf_counter() - started
            plan = outcome.plan
            sent = len(plan.upload) if outcome.action == "live" else 0
            rows.append((step, sent, plan.bytes_to_send if sent else 0, len(plan.release.files), seconds))
            print(f"  {step}: {outcome.action}, {sent:,} files sent in {seconds:.1f} s", flush=True)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="the county data's --scale (bench/generate.py)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/dps-bench-hosts"))
    parser.add_argument("--example-only", action="store_true", help="measure the example only")
    parser.add_argument("--county-only", action="store_true", help="measure the county data only")
    parser.add_argument("--sites", nargs=2, type=Path, metavar=("FIRST", "EDITED"),
                        help="measure these two built sites only (like bench/standin.py's county-sized stand-in)")
    args = parser.parse_args(argv)
    work = args.work
    county = work / "data"
    if args.sites:
        args.example_only = args.county_only = True
    built = {} if args.county_only else {"the example": sites("example", ROOT / "data", ROOT / "published", work)}
    if args.sites:
        built[f"{args.sites[0].parent.name or 'given'} sites"] = tuple(args.sites)
    elif not args.example_only:
        if not (county / "payments.csv").exists():
            subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(county), "--scale",
                            str(args.scale)], check=True)
        built[f"county × 10 (--scale {args.scale:g})"] = sites("county", county, work / "county" / "no-frozen", work,
                                                                    leave_out=("audio",))
    table = []
    for data_name, (first, edited) in built.items():
        for host_name, server in HOSTS.items():
            print(f"{data_name}, {host_name}:", flush=True)
            with tempfile.TemporaryDirectory(prefix="dps-bench-host-", dir=work) as folder:
                for row in measure(first, edited, server, Path(folder)):
                    table.append((data_name, host_name, *row))

    print(f"\ndps-publish going-live benchmark, {dt.date.today().isoformat()}, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
          f"{os.getloadavg()[0]:.1f}")
    print("| data | host | deploy | files sent (of the release's) | sent | seconds |")
    print("|---|---|---|---|---|---|")
    for data_name, host_name, step, sent, size, files, seconds in table:
        target = f" (target under {TARGET:.0f} s)" if step == "one provider edited" and "county" in data_name else ""
        print(f"| {data_name} | {host_name} | {step} | {sent:,} of {files:,} | {size / 1e6:.1f} MB | "
              f"{seconds:.1f} s{target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
