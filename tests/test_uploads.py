"""The publishing desk's uploads: streamed to disk, judged by content, matched to a table, refused in words."""

from __future__ import annotations

import io
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import anyio
import pytest
from helpers import ROOT
from openpyxl import Workbook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

with warnings.catch_warnings():  # Starlette 1.x would rather its test client used httpx2; httpx is what is installed
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

from dps_publish.desk.uploads import (
    Limits,
    UploadRefused,
    check_archive,
    display_name,
    receive_upload,
    table_by_name,
)

DATA = ROOT / "data"
TOKEN = "the-right-token"
BOUNDARY = "----dpsboundary7MA4YWxkTrZu0gW"


def example(table: str) -> bytes:
    return (DATA / f"{table}.csv").read_bytes()


def workbook(table: str) -> bytes:
    """The example table as an Excel workbook, its one sheet the table."""
    import csv

    book = Workbook()
    sheet = book.active
    sheet.title = table
    with open(DATA / f"{table}.csv", newline="", encoding="utf-8-sig") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def client_for(folder: Path, limits: Limits = Limits(), seen: list | None = None) -> TestClient:
    """A tiny app whose one route receives an upload into ``folder``, answering what it received as JSON."""

    def token_ok(token: str) -> bool:
        if seen is not None:
            seen.append(token)
        return token == TOKEN

    async def upload(request: Request):
        try:
            received = await receive_upload(request, folder, limits, token_ok)
        except UploadRefused as exc:
            return JSONResponse({"refused": str(exc), "csrf": exc.csrf}, status_code=exc.status)
        return JSONResponse({
            "fields": received.fields,
            "refusals": received.refusals,
            "files": [{"name": f.display_name, "path": str(f.path), "size": f.size, "table": f.table,
                       "kind": f.kind, "how": f.how} for f in received.files],
        })

    return TestClient(Starlette(routes=[Route("/upload", upload, methods=["POST"])]))


@pytest.fixture
def folder(tmp_path) -> Path:
    target = tmp_path / "draft" / "incoming"
    target.mkdir(parents=True)
    return target


def post(client: TestClient, files: list[tuple[str, bytes]], token: str | None = TOKEN):
    data = {} if token is None else {"csrf_token": token}
    return client.post("/upload", data=data, files=[("files", (name, body, "application/octet-stream"))
                                                    for name, body in files])


def raw_body(parts: list[tuple[str, bytes | None, bytes]]) -> bytes:
    """A multipart body written by hand, in this order: (field name, file name as sent or None, content)."""
    out = b""
    for name, filename, content in parts:
        disposition = b'form-data; name="' + name.encode() + b'"'
        if filename is not None:
            disposition += b'; filename="' + filename + b'"'
        out += b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: " + disposition + b"\r\n"
        if filename is not None:
            out += b"Content-Type: text/csv\r\n"
        out += b"\r\n" + content + b"\r\n"
    return out + b"--" + BOUNDARY.encode() + b"--\r\n"


def post_raw(client: TestClient, body: bytes):
    return client.post("/upload", content=body, headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"})


def every_file(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def xlsx_like(members: dict[str, bytes] | None = None, zeros: tuple[str, int] | None = None, count: int = 0) -> bytes:
    """A zip with a workbook's marks; ``zeros`` adds a part of that many zero bytes, ``count`` that many small parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for name, content in (members or {}).items():
            archive.writestr(name, content)
        if zeros:
            name, size = zeros
            chunk = bytes(1024 * 1024)
            with archive.open(name, "w", force_zip64=True) as part:
                for _ in range(size // len(chunk)):
                    part.write(chunk)
        for number in range(count):
            archive.writestr(f"xl/media/image{number}.xml", "<x/>")
    return out.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)


# Matching --------------------------------------------------------------------------------------------------------

def test_csv_and_xlsx_are_matched_by_name_and_kept_under_random_names(folder):
    answer = post(client_for(folder), [("listings.csv", example("listings")),
                                       ("Providers (2).xlsx", workbook("providers"))]).json()
    assert answer["refusals"] == []
    files = {f["table"]: f for f in answer["files"]}
    assert files["listings"]["kind"] == "csv" and files["listings"]["how"] == "name"
    assert files["providers"]["kind"] == "xlsx" and files["providers"]["how"] == "name"
    assert files["providers"]["name"] == "Providers (2).xlsx"
    assert answer["fields"] == {"csrf_token": TOKEN}
    for f in files.values():
        path = Path(f["path"])
        assert path.parent == folder and path.name.startswith(".upload-") and path.stat().st_size == f["size"]
    assert Path(files["listings"]["path"]).read_bytes() == example("listings")
    assert every_file(folder) == {Path(f["path"]) for f in files.values()}


def test_a_file_whose_name_is_no_table_is_matched_by_its_header(folder):
    answer = post(client_for(folder), [("export 3.csv", example("listings")),
                                       ("Book1.xlsx", workbook("payments"))]).json()
    assert answer["refusals"] == []
    assert {(f["name"], f["table"], f["how"]) for f in answer["files"]} == {
        ("export 3.csv", "listings", "header"), ("Book1.xlsx", "payments", "header")}


@pytest.mark.parametrize("table", sorted(p.stem for p in DATA.glob("*.csv")))
def test_every_example_table_is_known_by_its_header_alone(folder, table):
    answer = post(client_for(folder), [("export.csv", example(table))]).json()
    assert answer["refusals"] == []
    assert [(f["table"], f["kind"], f["how"]) for f in answer["files"]] == [(table, "csv", "header")]


@pytest.mark.parametrize(("name", "table"), [
    ("Listings (2).xlsx", "listings"), ("listings - Copy.csv", "listings"), ("KPI definitions.csv", "kpi_definitions"),
    ("kpi-definitions (3) - Copy.xlsx", "kpi_definitions"), ("Copy of providers.csv", "providers"),
    ("PAYMENTS.CSV", "payments"), ("export 3.csv", None), ("../../lots.csv", "lots"), ("payments 2024.csv", None),
])
def test_names_of_tables(name, table):
    assert table_by_name(name) == table


def test_a_file_matching_no_table_is_refused_in_words(folder):
    answer = post(client_for(folder), [("notes.csv", b"when,what\n2024-01-01,a meeting\n")]).json()
    assert answer["files"] == []
    [refusal] = answer["refusals"]
    assert refusal.startswith('"notes.csv" was not taken: its name is not the name of a table')
    assert "Rename the file after its table" in refusal and "listings" in refusal
    assert every_file(folder) == set()


def test_a_header_that_could_be_two_tables_is_no_match(tmp_path):
    path = tmp_path / "both.csv"
    path.write_text("term,meaning,easy_read_meaning,applies_to,reason\n")
    answer = post(client_for(tmp_path), [("both.csv", path.read_bytes())]).json()
    assert answer["files"] == []
    assert "could be the headings of naming or glossary" in answer["refusals"][0]


def test_two_files_of_one_table_keep_the_first(folder):
    answer = post(client_for(folder), [("listings.csv", example("listings")),
                                       ("export.csv", example("listings"))]).json()
    assert [f["name"] for f in answer["files"]] == ["listings.csv"]
    assert answer["refusals"] == ['"export.csv" was not taken: "listings.csv" in the same upload is already the '
                                  'listings table. Upload one file for each table.']
    assert len(every_file(folder)) == 1


# Content ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "kind"), [
    ("districts.xlsx", "code,name,area\nE1,Caf\xe9 \xa31,North\n".encode("cp1252"), "csv"),  # Windows-1252
    ("districts.xls", b"\xef\xbb\xbf" + example("districts"), "csv"),  # UTF-8 with a byte-order mark
    ("districts.csv", workbook("districts"), "xlsx"),
    ("districts.xlsx", "code,name\nE1,Café\n".encode() + b"\x81\n", "csv"),  # UTF-8 but a stray byte (see below)
])
def test_content_decides_the_kind_not_the_name(folder, name, content, kind):
    answer = post(client_for(folder), [(name, content)]).json()
    assert answer["refusals"] == []
    assert [(f["table"], f["kind"]) for f in answer["files"]] == [("districts", kind)]


def test_what_the_upload_takes_as_text_the_check_reads_or_points_at(folder):
    """The upload and the readers tell text the same way (``sources.encoding``): a UTF-8 file with one stray byte
    is taken, and the check names the cell of the byte, rather than the upload calling it "not text"."""
    from dps_publish.sources.readers import read_table

    content = "code,name,area\nE1,Café,North\nE2,Ca".encode() + b"\x81" + b"fe,South\n"
    [received] = post(client_for(folder), [("districts.csv", content)]).json()["files"]
    [problem] = read_table("districts", Path(received["path"])).problems
    assert (problem.code, problem.row, problem.column) == ("bad-encoding", 3, "name")


def test_a_zip_that_is_no_workbook_is_refused(folder):
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    answer = post(client_for(folder), [("rounds.xlsx", plain_zip.getvalue())]).json()
    assert answer["files"] == []
    assert answer["refusals"] == ['"rounds.xlsx" is a zip file, not an Excel workbook. Open it and save it from Excel as '
                                  'an Excel Workbook (.xlsx) or as "CSV UTF-8 (Comma delimited)", and upload that.']
    assert every_file(folder) == set()


def test_a_csv_named_xlsx_is_taken_as_csv(folder):
    [received] = post(client_for(folder), [("listings.xlsx", example("listings"))]).json()["files"]
    assert (received["table"], received["kind"]) == ("listings", "csv")


def test_a_picture_with_a_table_name_is_refused_by_its_content(folder):
    answer = post(client_for(folder), [("listings.csv", PNG)]).json()
    assert answer["files"] == []
    assert answer["refusals"] == ['"listings.csv" is not a CSV file or an Excel workbook: it is a PNG picture. '
                                  'Upload the table itself. Save it from Excel as an Excel Workbook (.xlsx) or as '
                                  '"CSV UTF-8 (Comma delimited)", and upload that.']
    assert every_file(folder) == set()


def test_an_old_xls_workbook_is_refused_with_what_to_do(folder):
    answer = post(client_for(folder), [("listings.xls", OLE)]).json()
    [refusal] = answer["refusals"]
    assert refusal.startswith('"listings.xls" is an old-style Excel 97-2003 workbook (.xls)')
    assert "save it as .xlsx (Excel Workbook) or CSV UTF-8" in refusal
    assert every_file(folder) == set()


def test_other_files_are_refused_in_words(folder):
    word = io.BytesIO()
    with zipfile.ZipFile(word, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w/>")
    answer = post(client_for(folder), [("a.csv", "code,name\n".encode("utf-16")), ("b.xlsx", word.getvalue()),
                                       ("c.csv", b"<html><table><tr><td>1</td></tr></table></html>"),
                                       ("d.csv", bytes(range(256)) * 10), ("e.csv", b"")]).json()
    refusals = answer["refusals"]
    assert refusals[0].startswith('"a.csv" is saved as UTF-16')
    assert refusals[1].startswith('"b.xlsx" is a Word document, not an Excel workbook')
    assert refusals[2].startswith('"c.csv" is a web page or XML file')
    assert refusals[3].startswith('"d.csv" is not a CSV file or an Excel workbook: it is not text')
    assert refusals[4].startswith('"e.csv" is empty')
    assert answer["files"] == [] and every_file(folder) == set()


# Zip bombs -------------------------------------------------------------------------------------------------------

@pytest.fixture
def never_opened(monkeypatch):
    """openpyxl must not open a refused workbook."""
    import openpyxl

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl opened a workbook that should have been refused first")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def test_a_workbook_too_large_unpacked_is_refused_before_it_is_opened(folder, never_opened):
    bomb = xlsx_like(zeros=("xl/worksheets/sheet1.xml", 200 * 1024 * 1024))
    assert len(bomb) < 1024 * 1024
    answer = post(client_for(folder), [("export.xlsx", bomb)]).json()
    [refusal] = answer["refusals"]
    assert refusal.startswith('"export.xlsx" was not opened: it would be 200 MB when unpacked, and an Excel '
                              'workbook may be at most 100 MB unpacked.')
    assert "save the table as CSV UTF-8" in refusal
    assert answer["files"] == [] and every_file(folder) == set()


def test_a_workbook_packed_too_tightly_is_refused_before_it_is_opened(folder, never_opened):
    bomb = xlsx_like(zeros=("xl/worksheets/sheet1.xml", 20 * 1024 * 1024))
    [refusal] = post(client_for(folder), [("listings.xlsx", bomb)]).json()["refusals"]
    assert refusal.startswith('"listings.xlsx" was not opened: part of it ("sheet1.xml") is packed ')
    assert "an Excel workbook may be packed at most 100 to 1" in refusal
    assert every_file(folder) == set()


def test_a_workbook_with_too_many_parts_is_refused_before_it_is_opened(folder, never_opened):
    many = xlsx_like(count=999)  # with the two marks of a workbook: 1,001
    [refusal] = post(client_for(folder), [("providers.xlsx", many)]).json()["refusals"]
    assert refusal == ('"providers.xlsx" was not opened: it holds 1,001 files packed inside it, and an Excel workbook '
                       'may hold at most 1,000. Save it again from Excel (File > Save As, "Excel Workbook (.xlsx)"), '
                       'or save the table as CSV UTF-8, and upload that.')
    assert every_file(folder) == set()


def with_parts(book: bytes, parts: dict[str, bytes], content_type: str | None = None) -> bytes:
    """A workbook with more parts in its zip, and its main part declared as ``content_type``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "[Content_Types].xml" and content_type:
                content = content.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                          content_type.encode())
            target.writestr(item, content)
        for name, content in parts.items():
            target.writestr(name, content)
    return out.getvalue()


MACRO_ENABLED = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


@pytest.mark.parametrize("book", [
    with_parts(workbook("listings"), {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 Attribute VB_Name"}, MACRO_ENABLED),
    with_parts(workbook("listings"), {}, MACRO_ENABLED),
    with_parts(workbook("listings"), {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 Attribute VB_Name"}),
], ids=["macros", "declared-macro-enabled", "macro-part"])
def test_a_macro_enabled_workbook_named_xlsx_is_refused_in_words(folder, book):
    answer = post(client_for(folder), [("listings.xlsx", book)]).json()
    assert answer["files"] == []
    [refusal] = answer["refusals"]
    assert refusal.startswith('"listings.xlsx" was not taken: it is a macro-enabled workbook')
    assert 'Save As and choose "Excel Workbook (.xlsx)"' in refusal
    assert every_file(folder) == set()


def test_a_workbook_with_links_to_other_workbooks_is_refused_in_words(folder):
    book = with_parts(workbook("listings"), {"xl/externalLinks/externalLink1.xml": b"<externalLink/>",
                                             "xl/externalLinks/_rels/externalLink1.xml.rels":
                                                 b'<Relationships><Relationship Target="file:///C:/secret.xlsx" '
                                                 b'TargetMode="External"/></Relationships>'})
    answer = post(client_for(folder), [("listings.xlsx", book)]).json()
    assert answer["files"] == []
    [refusal] = answer["refusals"]
    assert refusal.startswith('"listings.xlsx" was not taken: it has links to other workbooks')
    assert "Break Link" in refusal
    assert every_file(folder) == set()


def test_an_ordinary_workbook_is_still_taken(folder):
    answer = post(client_for(folder), [("listings.xlsx", workbook("listings"))]).json()
    assert [(f["name"], f["table"], f["kind"]) for f in answer["files"]] == [("listings.xlsx", "listings", "xlsx")]


def test_archive_checks_directly(tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook("programmes"))
    assert check_archive(good, Limits()) is None
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[:-200])  # cut short: no table of contents
    assert "is damaged or was cut short" in check_archive(broken, Limits())
    assert "at most 3." in check_archive(good, Limits(xlsx_members=3), name="good.xlsx")


# Limits ----------------------------------------------------------------------------------------------------------

def test_limits_from_settings():
    limits = Limits.from_settings(max_file_mb=10, max_payments_mb=500)
    assert (limits.file_bytes, limits.payments_bytes) == (10 * 1024 ** 2, 500 * 1024 ** 2)
    assert Limits().for_table("payments") == 1024 ** 3 and Limits().for_table("lots") == 50 * 1024 ** 2


def test_a_file_named_as_a_table_is_stopped_at_its_limit_while_streaming(folder):
    answer = post(client_for(folder, Limits(file_bytes=1000)), [("listings.csv", example("listings"))]).json()
    assert answer["files"] == []
    [refusal] = answer["refusals"]
    assert refusal.startswith('"listings.csv" was stopped at 1,000 bytes and not kept: a file of the listings table '
                              'may be at most 1,000 bytes (only the payments table may be larger, up to 1 GB).')
    assert "DESK_MAX_FILE_MB" in refusal
    assert every_file(folder) == set()


def test_a_file_whose_name_is_no_table_is_stopped_at_the_ordinary_limit_while_streaming(folder):
    limits = Limits(file_bytes=1000, payments_bytes=200_000)
    answer = post(client_for(folder, limits), [("export.csv", example("listings")),
                                               ("Book1.csv", example("payments")),
                                               ("payments.csv", example("payments"))]).json()
    assert [(f["name"], f["table"]) for f in answer["files"]] == [("payments.csv", "payments")]
    refusals = answer["refusals"]
    assert refusals[0].startswith('"export.csv" was stopped at 1,000 bytes and not kept: its name is not the name of '
                                  'a table, and such a file may be at most 1,000 bytes.')
    assert "name it payments.csv or payments.xlsx" in refusals[1]  # only a file named payments may be larger
    assert len(refusals) == 2 and len(every_file(folder)) == 1


def test_no_file_may_pass_the_largest_limit(folder):
    answer = post(client_for(folder, Limits(file_bytes=1000, payments_bytes=20_000)),
                  [("payments.csv", example("payments"))]).json()
    assert answer["files"] == []
    assert answer["refusals"][0].startswith('"payments.csv" was stopped at 19.5 KB and not kept')
    assert "DESK_MAX_PAYMENTS_MB" in answer["refusals"][0]
    assert every_file(folder) == set()


def test_the_files_of_one_upload_together_are_capped(folder):
    limits = Limits(file_bytes=1000, payments_bytes=5000)  # together: one payments file and ten others, 15,000 bytes
    assert limits.upload_bytes == 15_000
    files = [(f"{table}.csv", b"a,b\n" + b"1,2\n" * 225) for table in
             ("programmes", "lots", "rounds", "providers", "listings", "outcomes", "payments")] * 3
    response = post(client_for(folder, limits), files)  # 21 files of 904 bytes, each under its limit
    assert response.status_code == 413
    refused = response.json()["refused"]
    assert refused.startswith("The files of this upload come to more than 14.6 KB, more than the desk takes at once")
    assert "Nothing from it was kept" in refused
    assert every_file(folder) == set()


def test_too_many_files_refuse_the_whole_upload(folder):
    response = post(client_for(folder, Limits(files_per_upload=2)),
                    [("listings.csv", example("listings")), ("lots.csv", example("lots")),
                     ("rounds.csv", example("rounds"))])
    assert response.status_code == 413
    assert response.json()["refused"].startswith("This upload has more than 2 files")
    assert every_file(folder) == set()


def test_a_request_declared_too_large_is_refused_before_it_is_read(folder):
    limits = Limits(file_bytes=1000, payments_bytes=1000, files_per_upload=1)
    response = post(client_for(folder, limits), [("payments.csv", bytes(5 * 1024 * 1024))])
    assert response.status_code == 413
    assert "more than the desk takes at once" in response.json()["refused"]
    assert every_file(folder) == set()


# Names never paths -----------------------------------------------------------------------------------------------

def test_hostile_names_land_nowhere_outside_the_folder(tmp_path, folder):
    body = raw_body([("csrf_token", None, TOKEN.encode()),
                     ("files", b"../../x.csv", example("listings")),
                     ("files", b"data/../../y.xlsx", workbook("providers")),
                     ("files", b"a\x00b.csv", example("districts")),
                     ("files", b"/etc/passwd", example("rounds")),
                     ("files", b"..\\..\\w.csv", example("lots"))])
    answer = post_raw(client_for(folder), body).json()
    assert answer["refusals"] == []
    assert [(f["name"], f["table"]) for f in answer["files"]] == [
        ("x.csv", "listings"), ("y.xlsx", "providers"), ("ab.csv", "districts"), ("passwd", "rounds"),
        ("w.csv", "lots")]
    kept = {Path(f["path"]) for f in answer["files"]}
    assert every_file(tmp_path) == kept and all(p.parent == folder for p in kept)
    for name in ("x.csv", "y.xlsx", "ab.csv", "a\x00b.csv", "w.csv"):
        assert not list(tmp_path.parent.rglob(name))


def test_display_names():
    assert display_name("../../x.csv") == "x.csv"
    assert display_name("data/../../y.xlsx") == "y.xlsx"
    assert display_name("a\x00b.csv") == "ab.csv"
    assert display_name("/etc/passwd") == "passwd"
    assert display_name("C:\\Users\\me\\Desktop\\lots.xlsx") == "lots.xlsx"
    assert display_name("..") == display_name("") == "unnamed file"
    assert display_name("\u202egnp.csv") == "gnp.csv"  # no right-to-left override to disguise a name
    long = display_name("x" * 300 + ".csv")
    assert len(long) == 100 and long.endswith("….csv")


# CSRF and the form -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "a-wrong-token"])
def test_an_upload_without_a_valid_token_is_refused_and_nothing_is_written(folder, token):
    response = post(client_for(folder), [("listings.csv", example("listings"))], token=token)
    assert response.status_code == 403
    assert response.json()["csrf"] is True
    assert "security check was missing or out of date" in response.json()["refused"]
    assert every_file(folder) == set()


def test_a_token_after_a_file_is_too_late(folder):
    seen = []
    body = raw_body([("files", b"listings.csv", example("listings")), ("csrf_token", None, TOKEN.encode())])
    response = post_raw(client_for(folder, seen=seen), body)
    assert response.status_code == 403 and response.json()["csrf"] is True
    assert seen == []  # refused at the file, before the token arrived
    assert every_file(folder) == set()


def test_a_form_without_files_needs_its_token_too(folder):
    assert client_for(folder).post("/upload", files={"note": (None, b"hello")}).status_code == 403
    # A file input left empty: browsers send a file part with an empty name and nothing in it.
    answer = post_raw(client_for(folder), raw_body([("csrf_token", None, TOKEN.encode()), ("files", b"", b"")])).json()
    assert answer == {"fields": {"csrf_token": TOKEN}, "refusals": [], "files": []}
    assert every_file(folder) == set()


def test_only_multipart_forms_are_read(folder):
    client = client_for(folder)
    for response in (client.post("/upload", json={"csrf_token": TOKEN}),
                     client.post("/upload", data={"csrf_token": TOKEN})):
        assert response.status_code == 415
        assert response.json()["refused"].startswith("This upload could not be read: it was not sent as a form")


def test_a_body_cut_short_keeps_nothing(folder):
    body = raw_body([("csrf_token", None, TOKEN.encode()), ("files", b"listings.csv", example("listings"))])
    response = post_raw(client_for(folder), body[:-2000])
    assert response.status_code == 400
    assert response.json()["refused"].startswith("This upload could not be read: it was cut short")
    assert every_file(folder) == set()


# Streaming -------------------------------------------------------------------------------------------------------

def test_a_large_upload_streams_to_disk_a_chunk_at_a_time(folder):
    """30 MB of payments in 64 KB chunks: written as it arrives, never held whole (peak memory a small part of it)."""
    header = example("payments").split(b"\n", 1)[0] + b"\n"
    row = b"T%07d,2024-04-01,Acme Care Ltd,company,,,Adult social care,Day services,1234.56,false\n"
    rows = 30 * 1024 * 1024 // len(row % 0)
    chunk_size = 64 * 1024
    start = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{TOKEN}\r\n"
             f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"payments.csv\"\r\n"
             "Content-Type: text/csv\r\n\r\n").encode() + header
    end = f"\r\n--{BOUNDARY}--\r\n".encode()

    def chunks():
        buffer = bytearray(start)
        for number in range(rows):
            buffer += row % number
            if len(buffer) >= chunk_size:
                yield bytes(buffer[:chunk_size])
                del buffer[:chunk_size]
        buffer += end
        while buffer:
            yield bytes(buffer[:chunk_size])
            del buffer[:chunk_size]

    sent = {"bytes": 0, "chunks": 0}

    async def main():
        source = chunks()

        async def receive():
            piece = next(source, None)
            if piece is None:
                return {"type": "http.request", "body": b"", "more_body": False}
            sent["bytes"] += len(piece)
            sent["chunks"] += 1
            return {"type": "http.request", "body": piece, "more_body": True}

        scope = {"type": "http", "method": "POST", "path": "/upload", "query_string": b"",
                 "headers": [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]}
        return await receive_upload(Request(scope, receive), folder, Limits(), lambda t: t == TOKEN)

    tracemalloc.start()
    try:
        upload = anyio.run(main)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [received] = upload.files
    assert received.table == "payments" and received.size > 30 * 1024 * 1024 - len(row % 0)
    assert received.path.stat().st_size == received.size
    assert sent["chunks"] > 400 and sent["bytes"] > received.size
    assert peak < 4 * 1024 * 1024, f"peak memory {peak:,} bytes while receiving {received.size:,}"
