#!/usr/bin/env python3
"""Checks the built book (book/book): no broken internal links, and every chapter renders in
headless Chromium with its code and, where it has one, its trace.

Usage: python3 .ci/check_book.py [--chromium PATH]
A screenshot of the counter chapter is kept at target/book-screenshot.png.
"""
import html.parser
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOOK = os.path.join(ROOT, "book", "book")
SRC = os.path.join(ROOT, "book", "src")


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if key in attrs and attrs[key]:
                self.links.append(attrs[key])


def chapters():
    """The chapters SUMMARY.md lists, as built HTML paths."""
    with open(os.path.join(SRC, "SUMMARY.md"), encoding="utf-8") as f:
        for target in re.findall(r"\]\(([^)]+\.md)\)", f.read()):
            yield target[:-3] + ".html"


def check_links(pages):
    parsed = {}
    for page in pages:
        p = Links()
        with open(os.path.join(BOOK, page), encoding="utf-8") as f:
            p.feed(f.read())
        parsed[page] = p
    broken = []
    for page, p in parsed.items():
        for link in p.links:
            url = urllib.parse.urlparse(link)
            if url.scheme or link.startswith("//") or link.startswith("mailto:"):
                continue
            path = url.path
            target = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if path and not os.path.exists(os.path.join(BOOK, target)):
                broken.append(f"{page}: {link} (no {target})")
                continue
            if url.fragment and target in parsed and url.fragment not in parsed[target].ids:
                broken.append(f"{page}: {link} (no #{url.fragment} in {target})")
    return broken


def render(chromium, page, profile, screenshot=None):
    base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}"]
    url = "file://" + os.path.join(BOOK, page)
    dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
    if dom.returncode != 0:
        raise RuntimeError(f"chromium failed on {page}: {dom.stderr[-500:]}")
    if screenshot:
        subprocess.run(base + [f"--screenshot={screenshot}", "--window-size=1280,2400", url],
                       capture_output=True, timeout=120, check=True)
    return dom.stdout


def main():
    chromium = "chromium"
    if "--chromium" in sys.argv:
        chromium = sys.argv[sys.argv.index("--chromium") + 1]
    pages = ["index.html"] + [c for c in chapters() if os.path.exists(os.path.join(BOOK, c))]
    missing = [c for c in chapters() if not os.path.exists(os.path.join(BOOK, c))]
    problems = [f"chapter not built: {m}" for m in missing]
    problems += check_links(pages)
    os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        for page in pages:
            shot = os.path.join(ROOT, "target", "book-screenshot.png") if page == "counter.html" else None
            dom = render(chromium, page, profile, shot)
            md = os.path.join(SRC, page[:-5] + ".md")
            source = open(md, encoding="utf-8").read() if os.path.exists(md) else ""
            if "{{#include" in dom:
                problems.append(f"{page}: an include was not resolved")
            if "```rust" in source and 'class="language-rust' not in dom:
                problems.append(f"{page}: no Rust code rendered")
            if "traces__" in source and "!!  " not in dom:
                problems.append(f"{page}: no trace rendered")
            for svg in re.findall(r"\((traces/[^)]+\.svg)\)", source):
                if svg not in dom:
                    problems.append(f"{page}: picture {svg} not in the page")
            print(f"rendered {page}: {len(dom)} bytes")
    if problems:
        print("book check failed:\n  " + "\n  ".join(problems))
        return 1
    print(f"book ok: {len(pages)} pages, links resolve, code and traces render")
    return 0


if __name__ == "__main__":
    sys.exit(main())
