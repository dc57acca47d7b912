"""Nothing exempt leaks: exempt columns and applied listings never reach output/."""

from __future__ import annotations

from helpers import build_site, file_texts, read_rows, write_rows

from dps_publish.sources.schemas import all_schemas


def test_no_exempt_value_or_applied_listing_anywhere_in_output(data_copy, tmp_path):
    markers: list[str] = []

    def marker(kind: str, money: bool = False) -> str:
        number = len(markers) + 1
        value = f"{97531000 + number}.{number % 97:02d}" if money else f"ZQX{kind.upper()}MARKER{number:04d}"
        markers.append(value.split(".")[0] if money else value)
        return value

    for name, schema in all_schemas().items():
        path = data_copy / f"{name}.csv"
        if not schema.exempt_fields or not path.exists():
            continue
        header, rows = read_rows(path)
        for row in rows:
            for column in schema.exempt_fields:
                money = schema.field(column).get("x-money", False)
                row[column] = marker(column, money)
        write_rows(path, header, rows)

    # Every applied listing carries markers in its free text; providers seen only there get marked names.
    header, rows = read_rows(data_copy / "listings.csv")
    public = {r["provider_id"] for r in rows if r["status"] != "applied"}
    applied_only = set()
    for row in rows:
        if row["status"] == "applied":
            row["activities"] = f"{marker('applied')}; gardening"
            if row["provider_id"] not in public:
                applied_only.add(row["provider_id"])
    write_rows(data_copy / "listings.csv", header, rows)
    assert applied_only, "the example data should have providers that only applied"
    header, rows = read_rows(data_copy / "providers.csv")
    for row in rows:
        if row["provider_id"] in applied_only:
            row["name"] = marker("appliedname")
            row["description"] = marker("applieddesc")
            markers.append(row["provider_id"])
    write_rows(data_copy / "providers.csv", header, rows)

    output = tmp_path / "output"
    build_site(data_copy, output)
    searched = 0
    booklets = 0
    leaks = []
    for path, text in file_texts(output):
        searched += 1
        booklets += path.suffix == ".pdf" and "Page 1 of" in text  # the booklets' text, read from the PDF
        leaks += [(str(path.relative_to(output)), m) for m in markers if m in text]
    assert searched > 50
    assert booklets >= 80
    assert len(markers) > 100
    assert leaks == []
