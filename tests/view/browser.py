"""Open a page in headless Chromium with Playwright and say what went wrong in it.

Debian's ``chromium`` package (``apt-get install chromium``), never a browser
download: Playwright drives it through ``executable_path``. Used by the report's
browser test and by ``benchmarks.archive_view``.
"""

import os
import shutil
import tempfile
import time

FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync", "--disable-extensions")
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")


def chromium_path():
    """The Chromium executable, or None."""
    for name in CANDIDATES:
        path = name if os.path.isabs(name) and os.access(name, os.X_OK) else shutil.which(name)
        if path:
            return path
    return None


def why_not():
    """Why a browser check cannot run here (None when it can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright package: pip install -e '.[test]'"
    if chromium_path() is None:
        return "needs Debian's chromium: apt-get install -y chromium"
    return None


class Visit:
    """A page opened in headless Chromium; use as a context manager.

    Attributes
    ----------
    page : playwright.sync_api.Page
    console_errors : list of str
        Console messages of type error.
    page_errors : list of str
        Uncaught exceptions in the page's scripts.
    requests : list of str
        URLs the page asked for other than itself and ``data:`` URIs.
    load_s : float
        Wall time to the ``load`` event, s.
    """

    def __init__(self, path, fragment="", timeout_s=120):
        self.url = f"file://{os.path.abspath(path)}{fragment}"
        self.timeout_ms = int(timeout_s * 1000)
        self.console_errors, self.page_errors, self.requests = [], [], []
        self.load_s = None

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        self._profile = tempfile.mkdtemp(prefix="chromium-profile-")
        self._pw = sync_playwright().start()
        self._context = self._pw.chromium.launch_persistent_context(
            self._profile, executable_path=chromium_path(), headless=True, args=list(FLAGS))
        self.page = self._context.new_page()
        self.page.set_default_timeout(self.timeout_ms)
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page_url = self.url.split("#", 1)[0]
        self.page.on("request", lambda r: r.url.split("#", 1)[0] != page_url and not r.url.startswith("data:")
                     and self.requests.append(r.url))
        t0 = time.perf_counter()
        self.page.goto(self.url, wait_until="load", timeout=self.timeout_ms)
        self.load_s = time.perf_counter() - t0
        return self

    def __exit__(self, *exc):
        try:
            self._context.close()
        finally:
            self._pw.stop()
            shutil.rmtree(self._profile, ignore_errors=True)

    def broken_images(self, selector="img"):
        """The ``alt`` of each image matching ``selector`` that did not decode (naturalWidth 0)."""
        return self.page.eval_on_selector_all(
            selector, "els => els.filter(e => !(e.complete && e.naturalWidth > 0)).map(e => e.alt)")
