import codecs

from crawler.decode import decode

THAI = "<html><head>{meta}<title>เทศบาลตำบลหนองบัว</title></head><body>โครงสร้าง</body></html>"


def test_http_charset_wins():
    data = THAI.format(meta="").encode("cp874")
    text, enc = decode(data, "text/html; charset=windows-874")
    assert "เทศบาลตำบลหนองบัว" in text and enc == "cp874"


def test_meta_charset_tis620():
    data = THAI.format(meta='<meta http-equiv="Content-Type" content="text/html; charset=tis-620">').encode("cp874")
    text, _ = decode(data, "text/html")
    assert "โครงสร้าง" in text


def test_utf8_bom():
    text, enc = decode(codecs.BOM_UTF8 + THAI.format(meta="").encode(), None)
    assert enc == "utf-8" and text.startswith("<html>")


def test_undeclared_windows_874_falls_back():
    text, enc = decode(THAI.format(meta="").encode("cp874"), "text/html")
    assert enc == "cp874" and "เทศบาล" in text


def test_lying_header_utf8_body():
    text, enc = decode(THAI.format(meta="").encode("utf-8"), "text/html; charset=iso-8859-1")
    assert enc == "utf-8" and "เทศบาล" in text
