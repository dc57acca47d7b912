"""The change summary names each change a new round brings, compared with the published round."""

from __future__ import annotations

import json
import shutil

import lxml.html
from helpers import ROOT, THEME, dps, read_rows, set_cell, write_rows
from test_open_data import one_round_data  # noqa: F401 - the fixture: the data after round one


def _cli(*args) -> int:
    return dps([*args, "--content", str(ROOT / "content"), "--theme", str(THEME),
                 "--settings", str(ROOT / "pelicanconf.py")])


def test_diff_against_a_frozen_round_names_each_change(one_round_data, tmp_path, capsys):  # noqa: F811
    # Round one as frozen: one listing serving two districts, to see it move from where to where.
    header, rows = read_rows(one_round_data / "listings.csv")
    moved = next(r for r in rows if r["status"] == "awarded" and r["lot_id"] == "1a")
    moved["districts"] = "Ashford; Dover"
    write_rows(one_round_data / "listings.csv", header, rows)
    frozen = tmp_path / "published"
    assert _cli("freeze", "2022-10-opening", "--data", str(one_round_data), "--frozen", str(frozen)) == 0
    capsys.readouterr()
    data = tmp_path / "round-two"
    shutil.copytree(ROOT / "data", data)
    # Beside the new round: a suspension, a listing moved, a lot closed, a money figure revised, round one's
    # closing date corrected and a provider's phone number and description changed.
    header, rows = read_rows(data / "listings.csv")
    suspended = next(r for r in rows if r["status"] == "awarded" and r["round_id"] == "2022-10-opening"
                     and r["provider_id"] != moved["provider_id"])
    suspended["status"] = "suspended"
    moved = next(r for r in rows if all(r[k] == moved[k] for k in ("programme_id", "lot_id", "provider_id")))
    moved["districts"] = "Thanet; Dover; Ashford"
    write_rows(data / "listings.csv", header, rows)
    header, lots = read_rows(data / "lots.csv")
    closing = next(r for r in lots if r["lot_id"] == "2" and r["programme_id"] == "everyday-life-activities")
    closing["reopens"] = "no"
    write_rows(data / "lots.csv", header, lots)
    set_cell(data / "spend.csv", 0, "amount_gbp", "9547321")
    header, rounds = read_rows(data / "rounds.csv")
    next(r for r in rounds if r["round_id"] == "2022-10-opening")["closes"] = "2022-06-24"
    write_rows(data / "rounds.csv", header, rounds)
    header, providers = read_rows(data / "providers.csv")
    changed = providers[0]
    old_phone, old_description = changed["phone"], changed["description"]
    changed["phone"] = "01227 000 999"
    changed["description"] = "A corrected description after round one."
    write_rows(data / "providers.csv", header, providers)
    # Lot 2 closing makes second-round joiners to lot 2 a contract problem: keep the round's joiners on 1a.
    header, rows = read_rows(data / "listings.csv")
    for r in rows:
        if r["round_id"] == "2023-04-second" and r["lot_id"] == "2":
            r["round_id"] = "2022-10-opening"
    write_rows(data / "listings.csv", header, rows)

    assert _cli("diff", "--data", str(data), "--frozen", str(frozen), "--output", str(tmp_path / "none"),
                "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["compared_with"].startswith("round 2022-10-opening")
    kinds = {c["kind"] for c in summary["changes"]}
    assert {"provider-joined", "provider-suspended", "listing-moved", "lot-closed", "figure-revised",
            "round-added", "round-awarded", "round-changed", "provider-details-changed"} <= kinds
    names = {r["provider_id"]: r["name"] for r in read_rows(data / "providers.csv")[1]}
    texts = " ".join(c["text"] for c in summary["changes"])
    assert f"{names[suspended['provider_id']]} is not taking new people" in texts
    assert "Lot 2 (" in texts and "closed to new providers" in texts
    joined = [r for r in read_rows(data / "listings.csv")[1]
              if r["round_id"] == "2023-04-second" and r["status"] in ("awarded", "suspended", "left")]
    for listing in joined:
        assert f"{names[listing['provider_id']]} joined lot {listing['lot_id']}" in texts
    # Each changed value from and to, in words and as the published cells.
    by_field = {(c["kind"], c["field"]): c for c in summary["changes"]}
    assert 'Round "Second round: more organisations join" was awarded on 31 March 2023.' in texts
    assert by_field["round-awarded", "status"]["after"] == "awarded"
    assert ('Round "Opening round: the first organisations join": the closing date changed from 17 June 2022 '
            "to 24 June 2022.") in texts
    assert {k: by_field["round-changed", "closes"][k] for k in ("before", "after")} == {
        "before": "2022-06-17", "after": "2022-06-24"}
    assert f"{names[moved['provider_id']]} now serves Ashford, Dover and Thanet (before: Ashford and Dover) on lot 1a" \
        in texts
    assert by_field["listing-moved", "districts"]["before"].count(";") == 1
    assert by_field["listing-moved", "districts"]["after"].count(";") == 2
    assert f'{changed["name"]}: phone changed from "{old_phone}" to "01227 000 999".' in texts
    assert f'{changed["name"]}: description changed from "{old_description[:20]}' in texts
    assert by_field["provider-details-changed", "description"]["before"] == old_description
    assert by_field["lot-closed", "reopens"]["before"] == "true"
    # Money as people read it, in the JSON text and in words.
    assert "revised from £7,392,400 to £9,547,321" in texts
    assert {k: by_field["figure-revised", "amount_gbp"][k] for k in ("before", "after")} == {
        "before": "7392400", "after": "9547321"}
    assert any("do not add up" in w for w in summary["warnings"])
    assert any("withheld" in w for w in summary["warnings"])
    # In words too, as a comms officer reads it.
    assert _cli("diff", "--data", str(data), "--frozen", str(frozen), "--output", str(tmp_path / "none")) == 0
    words = capsys.readouterr().out
    assert "Providers joining" in words and "Lots closed (1)" in words and "Money figures changed (1)" in words
    assert "Rounds awarded (1)" in words and "Rounds changed (1)" in words
    assert "revised from £7,392,400 to £9,547,321." in words
    assert words.index("New rounds") < words.index("Rounds awarded") < words.index("Providers joining")


def test_every_page_carries_the_security_policy(example_build):
    output, _ = example_build
    checked = 0
    for path in output.rglob("*.html"):
        if "pagefind" in path.parts:
            continue
        doc = lxml.html.document_fromstring(path.read_bytes())
        policy = doc.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
        assert policy and "default-src 'self'" in policy[0] and "script-src 'self'" in policy[0], path
        assert "unsafe-inline" not in policy[0], path
        assert ("'wasm-unsafe-eval'" in policy[0]) == (path.parent.name == "search"), path
        assert doc.xpath('//meta[@name="referrer"]'), path
        assert not doc.xpath("//script[not(@src)]"), f"{path}: inline script"
        checked += 1
    assert checked > 300
