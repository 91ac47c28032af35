#!/usr/bin/env python3
"""Checks a published Materia site with axe-core (in headless Chromium) and linkchecker.

    check_site.py DIR

Serves DIR on 127.0.0.1 (a free port, stopped at the end), runs axe-core with the WCAG 2.0/2.1/2.2
A and AA rules on one page of every kind, then linkchecker over every page. The server sends a
`LinkChecker: allow` header, without which linkchecker throttles a host to about 3 requests a
second. Exit code 0 only when both report nothing.
"""
import functools, http.server, os, subprocess, sys, tempfile, threading

from browser import chromium
from selenium_axe_python import Axe

root = os.path.abspath(sys.argv[1])


class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("LinkChecker", "allow")
        super().end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}/"


def first(folder):
    names = sorted(n for n in os.listdir(os.path.join(root, folder)) if os.path.isdir(os.path.join(root, folder, n)))
    return f"{folder}/{names[0]}/"


# One page of every kind the site has.
pages = ["", "articles/", first("articles"), first("nutrients"), first("conditions"), first("symptoms"),
         "faq/", "key-points/", "a-z/", "search/?q=magnesium", "disclaimer/", "404.html"]
failures = 0

driver = chromium()
driver.set_script_timeout(60)
violations = 0
version = "?"
try:
    for page in pages:
        driver.get(base + page)
        axe = Axe(driver)
        axe.inject()
        result = axe.run(options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
        version = driver.execute_script("return axe.version")
        for violation in result["violations"]:
            violations += 1
            print(f"axe: /{page}: {violation['impact']}: {violation['id']}: {violation['help']} ({len(violation['nodes'])} node(s))")
    # The search page really searches: results appear for a query.
    driver.get(base + "search/?q=magnesium")
    found = driver.execute_script(
        "return new Promise(r => { let n = 0; const t = setInterval(() => { const c = document.querySelectorAll('#search-results li').length;"
        " if (c || ++n > 50) { clearInterval(t); r(c); } }, 100); });")
    print(f"axe-core {version}: {len(pages)} pages, {violations} violations; search for 'magnesium': {found} results")
    if violations or not found:
        failures += 1
finally:
    driver.quit()

with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as config:
    config.write("[checking]\nmaxrequestspersecond=1000\nthreads=8\n[output]\nstatus=0\n[filtering]\ncheckextern=0\n")
links = subprocess.run(["linkchecker", "--no-warnings", "-f", config.name, base], capture_output=True, text=True)
os.unlink(config.name)
summary = [line for line in links.stdout.splitlines() if "links in" in line or "errors found" in line]
print("linkchecker: " + " ".join(summary))
if links.returncode != 0:
    print(links.stdout[-3000:])
    failures += 1
server.shutdown()
sys.exit(1 if failures else 0)
