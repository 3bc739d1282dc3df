"""The API docs render offline: every asset they load is served by Legato itself."""

import re

import httpx
import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_load_only_local_assets(api: httpx.Client, page: str) -> None:
    html = api.get(page)
    assert html.status_code == 200
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html.text)
    urls += re.findall(r"""url:\s*'([^']+)'""", html.text)
    assert urls, html.text
    external = [u for u in urls if re.match(r"^(https?:)?//", u)]
    assert external == []
    for url in urls:
        assert api.get(url).status_code == 200, url
    assert "fonts.googleapis" not in html.text and "cdn.jsdelivr" not in html.text
