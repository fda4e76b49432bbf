import pytest

from crawler.urls import BadURL, canonical, in_scope, is_document, normalize_start, site_key, trap_pattern


def test_raw_thai_and_spaces_are_encoded():
    url = canonical("http://x.go.th/news_pr.php?id=221-ประกาศ ผล#top")
    assert url.startswith("http://x.go.th/news_pr.php?id=221-%E0%B8%9B")
    assert " " not in url and "#" not in url
    assert canonical(url) == url  # idempotent


def test_session_ids_and_tracking_are_dropped():
    assert canonical("http://a/b;jsessionid=12/c?PHPSESSID=9&id=5&utm_source=x") == "http://a/b/c?id=5"


def test_scope_ignores_www_and_scheme_but_not_port():
    site = site_key("http://www.nongbua.go.th/")
    assert in_scope("https://nongbua.go.th/x", site)
    assert not in_scope("http://facebook.com/nongbua", site)
    assert not in_scope("http://127.0.0.1:81/", site_key("http://127.0.0.1:80/"))
    assert not in_scope("mailto:a@b", site)


def test_trap_pattern_groups_series():
    assert trap_pattern("http://a/calendar/?month=5") == trap_pattern("http://a/calendar/?month=6")
    assert trap_pattern("http://a/x?page=1") != trap_pattern("http://a/x?id=1")


def test_documents():
    assert is_document("http://a/files/สขร1.PDF") and not is_document("http://a/page.php?f=a.pdf")


@pytest.mark.parametrize("bad", ["", "ftp://x.go.th", "http://", "http://a b.go.th", "http://x.go.th:99999/"])
def test_bad_start_urls(bad):
    with pytest.raises(BadURL):
        normalize_start(bad)


def test_start_url_without_scheme():
    assert normalize_start("www.nongbua.go.th") == "http://www.nongbua.go.th/"


def test_endless_url_spaces_are_recognised():
    from crawler.frontier import endless
    assert endless("http://a/a/a/a/")
    assert endless("http://a/x?" + "&".join(f"k{i}=1" for i in range(20)))
    assert endless("http://a/" + "x" * 2100)
    assert not endless("http://a/news/2565/05/item.html?id=5&page=2")
    assert not endless("http://a/?page_id=12")
