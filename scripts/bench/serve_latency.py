#!/usr/bin/env python3
"""Save-to-reload latency of `materia serve` (and of `hugo server` when Debian's hugo is installed).

Generates N articles with ../shared/bench/gen_corpus.py (or reuses them), starts the server,
listens to its reload channel like a browser tab does, and saves files the way editors do
(write a temporary file, rename it over the original). For each save it measures the time from
the rename to the reload message that names the page. Prints medians and 90th percentiles,
then the time to start again over the output the first server left.

Usage: serve_latency.py [-n 10000] [--runs 15] [--materia PATH] [--hugo]
"""
import argparse, base64, json, os, re, shutil, socket, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BENCH = os.environ.get("MATERIA_BENCH_SHARED", os.path.join(os.path.dirname(REPO), "shared", "bench"))


def save(path, text):
    temporary = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(temporary, "w") as handle:
        handle.write(text)
    start = time.perf_counter()
    os.rename(temporary, path)
    return start


def corpus(n):
    """Gen_corpus articles in Materia's site layout, with the sample's data, templates and settings."""
    site = "/tmp/materia-serve-bench-%d" % n
    articles = os.path.join(site, "Content", "articles")
    if not (os.path.isdir(articles) and len(os.listdir(articles)) == n):
        shutil.rmtree(site, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(BENCH, "gen_corpus.py"), site + "-gen", "-n", str(n)], check=True,
                       stdout=subprocess.DEVNULL)
        os.makedirs(os.path.join(site, "Content"))
        shutil.move(os.path.join(site + "-gen", "content", "articles"), articles)
        shutil.rmtree(site + "-gen")
        shutil.copytree(os.path.join(REPO, "Content", "data"), os.path.join(site, "Content", "data"))
        shutil.copy(os.path.join(REPO, "materia.yaml"), site)
    shutil.rmtree(os.path.join(site, "Templates"), ignore_errors=True)
    shutil.copytree(os.path.join(REPO, "Templates"), os.path.join(site, "Templates"))
    return site


class Stream:
    """A reader of newline-delimited messages on a socket, with a deadline."""

    def __init__(self, sock):
        self.sock, self.buffer = sock, b""

    def until(self, pattern, seconds):
        deadline = time.time() + seconds
        while not re.search(pattern, self.buffer):
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buffer += chunk
        match = re.search(pattern, self.buffer)
        self.buffer = self.buffer[match.end():]
        return time.perf_counter()


def materia_events(port):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"GET /__materia/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    stream = Stream(sock)
    stream.until(rb"event: hello\ndata: [^\n]*\n\n", 30)
    return stream


def hugo_events(port):
    """Hugo's live reload: a WebSocket on /livereload speaking the LiveReload protocol."""
    sock = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET /livereload HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (port, key)).encode())
    stream = Stream(sock)
    stream.until(rb"\r\n\r\n", 30)
    hello = json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}).encode()
    mask = os.urandom(4)
    frame = bytes([0x81, 0x80 | len(hello)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(hello))
    sock.sendall(frame)
    stream.until(rb'"command":"hello"', 30)
    return stream


def measure(label, stream, path, edit, pattern, runs):
    original = open(path).read()
    times = []
    for run in range(runs):
        start = save(path, edit(original, run))
        arrived = stream.until(pattern, 60)
        if arrived is None:
            print("  %s: no reload message within 60 s" % label)
            break
        times.append((arrived - start) * 1000)
        time.sleep(0.3)
    save(path, original)
    stream.until(pattern, 60)
    time.sleep(0.5)
    if times:
        times.sort()
        print("  %-28s median %7.1f ms   p90 %7.1f ms   min %7.1f ms   (%d saves)"
              % (label, statistics.median(times), times[int(0.9 * (len(times) - 1))], times[0], len(times)))
    return statistics.median(times) if times else None


def wait_for_line(process, log, prefix, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with open(log) as handle:
            for line in handle:
                if line.startswith(prefix) or prefix in line:
                    return line
        if process.poll() is not None:
            return None
        time.sleep(0.2)
    return None


def body_edit(text, run):
    return text.replace("\n## ", "\nA sentence saved in run %d of the benchmark.\n\n## " % run, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--materia", default=os.path.join(REPO, ".build", "release", "materia"))
    parser.add_argument("--hugo", action="store_true", help="also measure `hugo server` on the same articles")
    args = parser.parse_args()
    site = corpus(args.n)
    article = sorted(os.listdir(os.path.join(site, "Content", "articles")))[args.n // 2]
    slug = article[:-3]
    print("corpus: %d articles in %s; edited article: %s" % (args.n, site, slug))

    log = "/tmp/materia-serve-bench.log"
    started = time.perf_counter()
    server = subprocess.Popen([args.materia, "serve", "--root", site, "--port", "0"], stdout=open(log, "w"),
                              stderr=subprocess.STDOUT)
    try:
        line = wait_for_line(server, log, "Serving ", 900)
        if not line:
            raise SystemExit("materia serve did not start; see " + log)
        port = int(line.split()[1].rstrip("/").rsplit(":", 1)[1])
        print("materia serve: first build and start %.1f s" % (time.perf_counter() - started))
        stream = materia_events(port)
        page = re.escape(("/articles/%s/" % slug).encode())
        measure("article body edit", stream, os.path.join(site, "Content", "articles", article), body_edit,
                rb'event: change\ndata: [^\n]*"' + page + rb'"', args.runs)
        measure("data file edit", stream, os.path.join(site, "Content", "data", "nutrients", "magnesium.yaml"),
                lambda text, run: text.replace('food: "Pumpkin seeds', 'food: "Pumpkin seeds (run %d)' % run, 1),
                rb'event: change\ndata: [^\n]*"/nutrients/magnesium/"', max(3, args.runs // 3))
        with open(log) as handle:
            lines = [l.strip() for l in handle if "changed: rebuilt" in l]
        print("  server log, last rebuilds: " + " | ".join(lines[-2:]))
    finally:
        server.send_signal(2)
        server.wait(30)

    # Started again on the same port (pages name their address, so the same port means the same
    # pages): the output holds the manifest the first server left, and only what differs is written.
    started = time.perf_counter()
    server = subprocess.Popen([args.materia, "serve", "--root", site, "--port", str(port)], stdout=open(log, "w"),
                              stderr=subprocess.STDOUT)
    try:
        if wait_for_line(server, log, "Serving ", 900):
            print("materia serve: restart, output up to date %.1f s" % (time.perf_counter() - started))
            with open(log) as handle:
                print("  server log: " + " ".join(l.strip() for l in handle if l.startswith("Built")))
        else:
            print("materia serve: restart on port %d failed; see %s" % (port, log))
    finally:
        server.send_signal(2)
        server.wait(30)

    if args.hugo:
        hugo = shutil.which("hugo")
        if not hugo:
            print("hugo: not installed (apt-get install hugo), skipped")
            return
        hugo_site = "/tmp/materia-serve-bench-hugo-%d" % args.n
        shutil.rmtree(hugo_site, ignore_errors=True)
        shutil.copytree(os.path.join(BENCH, "hugo-site"), hugo_site)
        os.makedirs(os.path.join(hugo_site, "content"), exist_ok=True)
        shutil.copytree(os.path.join(site, "Content", "articles"), os.path.join(hugo_site, "content", "articles"))
        port = 18000 + os.getpid() % 1000
        log = "/tmp/hugo-serve-bench.log"
        started = time.perf_counter()
        server = subprocess.Popen([hugo, "server", "--source", hugo_site, "--port", str(port), "--bind", "127.0.0.1",
                                   "--disableFastRender=false"], stdout=open(log, "w"), stderr=subprocess.STDOUT)
        try:
            if not wait_for_line(server, log, "Web Server is available", 900):
                raise SystemExit("hugo server did not start; see " + log)
            print("hugo server: first build and start %.1f s" % (time.perf_counter() - started))
            stream = hugo_events(port)
            measure("article body edit (hugo)", stream, os.path.join(hugo_site, "content", "articles", article), body_edit,
                    rb'"command":"reload"', args.runs)
        finally:
            server.send_signal(2)
            server.wait(30)


if __name__ == "__main__":
    main()
