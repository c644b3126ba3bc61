"""The real browser of the browser tests: Playwright driving Debian's Chromium.

Importing this module skips the importing test module, with the reason, when Playwright or
/usr/bin/chromium is missing (never ``playwright install``: it downloads a browser build).
Browser test modules ``import tests.helpers.chromium`` first; the ``browser`` fixture (one
Chromium per test module) lives in tests/conftest.py and launches through :func:`launch`.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

try:
    from playwright.sync_api import Browser, Frame, Page, Playwright
except ImportError:  # pragma: no cover - depends on the machine
    pytest.skip("playwright is not installed (pip install 'hitl-agent[browser]')",
                allow_module_level=True)

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):  # pragma: no cover - depends on the machine
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)

# No background networking: this machine's closed network refuses Chromium's own connections.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def launch(playwright: Playwright, **options: Any) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS,
                                      **options)


def stays_false(page: Page | Frame, expression: str, ms: float) -> None:
    """Assert the JavaScript ``expression`` does not become true within ``ms`` milliseconds:
    that the browser does *not* do something (run injected script, send an answer) while it has
    the time to. Polled with ``evaluate`` (which a page's CSP allows, unlike
    ``wait_for_function``), Playwright's events flowing in between."""
    deadline = time.monotonic() + ms / 1000
    while True:
        assert not page.evaluate(expression), f"{expression} became true"
        if time.monotonic() >= deadline:
            return
        page.wait_for_timeout(20)
