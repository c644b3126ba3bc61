"""The real browser of the browser tests: Playwright driving Debian's Chromium.

Importing this module skips the importing test module, with the reason, when Playwright or
/usr/bin/chromium is missing (never ``playwright install``: it downloads a browser build).
Browser test modules ``import tests.helpers.chromium`` first; the ``browser`` fixture (one
Chromium per test module) lives in tests/conftest.py and launches through :func:`launch`.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

try:
    from playwright.sync_api import Browser, Playwright
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
