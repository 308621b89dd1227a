"""The README's kiosk pictures, taken from a running stack (real Rasa, real records), not a fake.

    make run                                            # in one terminal (PORT=8123 make run …)
    python -m bot.screenshots http://127.0.0.1:8123     # writes docs/screenshots/kiosk-*.png

Drives the kiosk in Debian's Chromium (Playwright): a materials question in elder mode
(``kiosk-elder.png``), then 按我的情况列清单 answered one tap at a time until the personal list
(``kiosk-checklist.png``). Exits non-zero when an answer does not come.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def take(url: str, question: str, chromium: str = "/usr/bin/chromium") -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)
        page.goto(f"{url.rstrip('/')}/kiosk")
        page.locator("#message").fill(question)
        page.get_by_role("button", name="提问").click()
        answer = page.locator("#log .msg.bot").last
        expect(answer.get_by_role("button", name="按我的情况列清单")).to_be_visible()
        page.locator("#message").blur()
        written.append(_shot(page, "kiosk-elder.png", full_page=True))  # the title bar and its switches too
        answer.get_by_role("button", name="按我的情况列清单").click()
        for _ in range(12):  # one tap a question, the last option each time (否 for a yes/no)
            last = page.locator("#log .msg.bot").last
            expect(last).to_be_visible()
            if "按您的情况" in last.inner_text() or "不因个人情况而不同" in last.inner_text():
                break
            options = last.get_by_role("button").filter(has_not_text=re.compile("打印|帮助|朗读|星"))
            options.nth(options.count() - 1).click()
            page.wait_for_timeout(800)
        expect(page.locator("#log .msg.bot").last).to_contain_text("按您的情况")
        page.locator("#log .msg.bot").last.scroll_into_view_if_needed()
        written.append(_shot(page, "kiosk-checklist.png"))
        browser.close()
    return written


def _shot(page, name: str, *, full_page: bool = False) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the running API, e.g. http://127.0.0.1:8123")
    parser.add_argument("--question", default="桂城办居住证要带什么材料")
    args = parser.parse_args(argv)
    for path in take(args.url, args.question):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
