"""Broken and hostile files give a clear Chinese message (ContactsError), never a traceback,
and nothing is written."""

import random
import zipfile

import import_samples as samples
import pytest

from zsapp.contacts import importer


def _xlsx_without_workbook(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    return path


def _many_members(path):
    with zipfile.ZipFile(path, "w") as zf:
        for n in range(10_001):
            zf.writestr(f"x/{n}", "")
    return path


CASES = {
    "random.xlsx": lambda p: p.write_bytes(random.Random(1).randbytes(4096)),
    "truncated.xlsx": lambda p: p.write_bytes(
        samples.streaming_xlsx(p.with_suffix(".tmp"), [["企业名称"], ["甲"]]).read_bytes()[:300]
    ),
    "noworkbook.xlsx": _xlsx_without_workbook,
    "members.xlsx": _many_members,
    "garbage.xls": lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
    "garbage.ods": lambda p: p.write_bytes(b"PK\x05\x06" + b"\0" * 18),
    "binary.csv": lambda p: p.write_bytes(b"a,b\x00\x00\x01\n\x00\x00"),
    "latin.csv": lambda p: p.write_bytes(bytes(range(128, 256)) * 20),
    "junk.vcf": lambda p: p.write_bytes(b"BEGIN:VCARD\r\n\xff\xfe\x00garbage;;;:\r\n"),
    "empty.vcf": lambda p: p.write_bytes(b""),
    "photo-only.vcf": lambda p: p.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nPHOTO;ENCODING=b:AAAA\r\nEND:VCARD\r\n"
    ),
    "title-only.csv": lambda p: p.write_bytes("2024年重点客商名录\r\n".encode("gbk")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file_refused_in_chinese(store, tmp_path, name):
    path = tmp_path / name
    CASES[name](path)
    outbox = store.pending_changes()
    try:
        report = importer.import_file(store, path)
    except importer.ContactsError as exc:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc)), str(exc)
    else:  # readable after all: every problem is listed per row, nothing half-written
        assert report.written
        assert report.companies_created + report.people_created == 0, report.summary()
    assert store.count("companies") == 0 and store.count("people") == 0
    assert store.pending_changes() == outbox


def test_oversized_text_file_refused(store, tmp_path, monkeypatch):
    from zsapp.contacts import readers

    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.csv"
    path.write_bytes(("企业名称,联系人\n" + "甲公司,张三\n" * 200).encode())
    with pytest.raises(importer.ContactsError, match="文件过大"):
        importer.import_file(store, path)
