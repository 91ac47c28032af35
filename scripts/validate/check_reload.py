#!/usr/bin/env python3
"""Live reload in a real browser: starts `materia serve` on a copy of the sample site, opens an
article in headless Chromium and checks, by what the page itself shows:

1. an article edit reloads the page (a marker set in the old page is gone, the new text is there);
2. a stylesheet edit is applied without a reload (the marker survives, the computed style changed);
3. a broken edit shows the error overlay with the file:line:column, and the fix removes it;
4. an edit of another article does not reload this page.

Usage: check_reload.py MATERIA_BINARY REPO. Exits non-zero on any failure.
"""
import os, shutil, subprocess, sys, tempfile, time

from browser import chromium

materia, repo = sys.argv[1], sys.argv[2]
site = tempfile.mkdtemp(prefix="materia-reload-")
for item in ["materia.yaml", "Content", "Templates"]:
    source = os.path.join(repo, item)
    (shutil.copytree if os.path.isdir(source) else shutil.copy)(source, os.path.join(site, item))
log = open(os.path.join(site, "serve.log"), "w+")
server = subprocess.Popen([materia, "serve", "--root", site, "--port", "0"], stdout=log, stderr=subprocess.STDOUT,
                          env=dict(os.environ, MATERIA_TODAY="2026-11-22"))
failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        failures.append(message)


def save(path, text):
    """As editors save: a temporary file renamed over the old one."""
    temporary = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(temporary, "w") as handle:
        handle.write(text)
    os.rename(temporary, path)


def wait(predicate, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if predicate():
                return True
        except Exception:
            pass
        time.sleep(0.05)
    return False


url = None
try:
    for _ in range(600):
        log.seek(0)
        lines = [line for line in log.read().splitlines() if line.startswith("Serving ")]
        if lines:
            url = lines[0].split()[1]
            break
        time.sleep(0.1)
    if not url:
        raise SystemExit("materia serve did not start")
    driver = chromium()
    try:
        driver.get(url + "articles/low-magnesium-lip-twitching/")
        # The event stream is open once the page received its hello.
        time.sleep(0.5)
        article = os.path.join(site, "Content/articles/low-magnesium-lip-twitching.md")
        original = open(article).read()

        driver.execute_script("window.materiaMarker = 1")
        save(article, original.replace("## Other common triggers for lip twitching",
                                       "A sentence added while the browser watched.\n\n## Other common triggers for lip twitching", 1))
        reloaded = wait(lambda: driver.execute_script("return window.materiaMarker === undefined")
                        and "A sentence added while the browser watched." in driver.page_source)
        check(reloaded, "an article edit reloads the open article with the new text")

        driver.execute_script("window.materiaMarker = 2")
        before = driver.execute_script("return getComputedStyle(document.body).outlineColor")
        stylesheet = os.path.join(site, "Templates/assets/style.css")
        save(stylesheet, open(stylesheet).read() + "\nbody { outline: 3px solid rgb(1, 2, 3); }\n")
        swapped = wait(lambda: driver.execute_script("return getComputedStyle(document.body).outlineColor") == "rgb(1, 2, 3)")
        check(swapped and before != "rgb(1, 2, 3)", "a stylesheet edit is applied to the open page")
        check(driver.execute_script("return window.materiaMarker") == 2, "... without reloading it")

        save(article, original.replace("nutrients: [magnesium, calcium, potassium]", "nutrients: [magnesium, calcum, potassium]", 1))
        shown = wait(lambda: "low-magnesium-lip-twitching.md:10:" in driver.find_element("id", "materia-errors").text)
        check(shown, "a broken edit shows an overlay with the error's file:line:column")
        if shown:
            print("     overlay: " + driver.find_element("id", "materia-errors").text.replace("\n", " | ")[:200])
        save(article, original)
        check(wait(lambda: not driver.find_elements("id", "materia-errors")), "fixing it removes the overlay")

        driver.execute_script("window.materiaMarker = 3")
        other = os.path.join(site, "Content/articles/magnesium-deficiency-fasciculations.md")
        text = open(other).read()
        save(other, text.replace("\n## ", "\nAnother article, edited.\n\n## ", 1))
        time.sleep(1.5)
        check(driver.execute_script("return window.materiaMarker") == 3, "an edit of another article does not reload this page")
    finally:
        driver.quit()
finally:
    server.send_signal(2)
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
    check(server.returncode == 0, "Ctrl-C stops the server cleanly")
    shutil.rmtree(site, ignore_errors=True)

print("live reload in Chromium: %d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
