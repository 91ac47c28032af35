import Foundation

/// Tells open pages about rebuilds over Server-Sent Events. After a good rebuild every page
/// gets the changed paths and decides itself: a page that changed reloads, a stylesheet it uses
/// is swapped in place, anything else is ignored. After a failed one it gets the errors and
/// shows them over the page until a good rebuild clears them.
public final class LiveReload: @unchecked Sendable {
    private let condition = NSCondition()
    /// Events in order; a client sends every event after the last one it sent.
    private var events: [(id: Int, text: String)] = []
    private var nextID = 1
    private var errors: [[String: String]] = []
    /// Identifies the site the page was loaded from; a page that reconnects to another one reloads.
    private var build: String
    private let session = "\(ProcessInfo.processInfo.processIdentifier)-\(Int(Date().timeIntervalSince1970))"
    private var buildNumber = 1
    private var stopped = false

    public init() {
        build = "\(session)-1"
    }

    /// A good rebuild wrote `paths` (below the output folder) and removed `removed`.
    public func changed(_ paths: [String], removed: [String]) {
        condition.lock()
        errors = []
        if !(paths.isEmpty && removed.isEmpty) {
            buildNumber += 1
            build = "\(session)-\(buildNumber)"
        }
        let urls = (paths + removed).flatMap(Self.urls)
        publish(event: "change", data: ["build": build, "paths": urls])
        condition.unlock()
    }

    /// A rebuild failed; `errors` are what the terminal printed, one per problem.
    public func failed(_ errors: [(location: String, message: String)]) {
        condition.lock()
        self.errors = errors.map { ["location": $0.location, "message": $0.message] }
        publish(event: "errors", data: ["build": build, "errors": self.errors])
        condition.unlock()
    }

    /// Wakes every stream so that it ends (server shutdown).
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func publish(event: String, data: [String: Any]) {
        let json = (try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        events.append((nextID, "id: \(nextID)\nevent: \(event)\ndata: \(json)\n\n"))
        nextID += 1
        if events.count > 64 { events.removeFirst(events.count - 64) }
        condition.broadcast()
    }

    /// The URL paths a reader may have open for an output file: "a/index.html" is "/a/" too.
    static func urls(_ path: String) -> [String] {
        if path == "index.html" { return ["/", "/index.html"] }
        if path.hasSuffix("/index.html") { return ["/" + path.dropLast("index.html".count), "/" + path] }
        return ["/" + path]
    }

    /// The `text/event-stream` response: a hello with the current build and errors, then every
    /// event as it happens, and a comment every 15 s so that proxies and browsers keep it open.
    func streamResponse() -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-cache"),
                                            ("X-Accel-Buffering", "no")]) { [self] connection in
            condition.lock()
            var last = nextID - 1
            let hello = (try? JSONSerialization.data(withJSONObject: ["build": build, "errors": errors] as [String: Any],
                                                     options: [.sortedKeys, .withoutEscapingSlashes]))
                .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            condition.unlock()
            guard connection.write("retry: 500\nevent: hello\ndata: \(hello)\n\n") else { return }
            while true {
                condition.lock()
                var pending = events.filter { $0.id > last }
                if pending.isEmpty && !stopped {
                    _ = condition.wait(until: Date().addingTimeInterval(15))
                    pending = events.filter { $0.id > last }
                }
                let done = stopped
                condition.unlock()
                if done { return }
                if pending.isEmpty {
                    guard connection.write(": keep-alive\n\n") else { return }
                    continue
                }
                for event in pending {
                    guard connection.write(event.text) else { return }
                    last = event.id
                }
            }
        }
    }

    /// Adds the live-reload script to an HTML page, before `</body>` (or at the end).
    static func inject(into html: [UInt8], notFound: Bool) -> [UInt8] {
        let tag = Array("<script src=\"\(PreviewSite.scriptPath)\"\(notFound ? " data-not-found" : "")></script>\n".utf8)
        let closing = Array("</body>".utf8)
        var index = html.count - closing.count
        while index >= 0 {
            if html[index] == 0x3C, Array(html[index..<(index + closing.count)]) == closing {
                return Array(html[..<index]) + tag + Array(html[index...])
            }
            index -= 1
        }
        return html + tag
    }

    /// The browser side: listens to the event stream, reloads, swaps stylesheets, shows errors.
    static let script = #"""
    (function () {
      "use strict";
      var me = document.currentScript;
      var notFound = me && me.hasAttribute("data-not-found");
      var build = null;
      var overlay = null;
      function here() {
        var path = decodeURI(location.pathname);
        return path.replace(/index\.html$/, "");
      }
      function pathOf(url) {
        try { var u = new URL(url, location.href); return u.origin === location.origin ? decodeURI(u.pathname) : null; } catch (e) { return null; }
      }
      function hideErrors() {
        if (overlay) { overlay.remove(); overlay = null; }
      }
      function showErrors(errors) {
        hideErrors();
        if (!errors || !errors.length) return;
        overlay = document.createElement("div");
        overlay.id = "materia-errors";
        overlay.setAttribute("role", "alert");
        overlay.style.cssText = "position:fixed;inset:0 0 auto 0;max-height:70vh;overflow:auto;z-index:2147483647;" +
          "background:#fff4f4;color:#5c0000;border-bottom:3px solid #b00020;padding:1rem 1.25rem;" +
          "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;box-shadow:0 4px 16px rgba(0,0,0,.25)";
        var title = document.createElement("strong");
        title.textContent = "The site did not rebuild: " + errors.length + (errors.length === 1 ? " error" : " errors") +
          ". The page shows the last good build.";
        overlay.appendChild(title);
        var list = document.createElement("ul");
        list.style.cssText = "margin:.5rem 0 0;padding-left:1.25rem";
        errors.forEach(function (error) {
          var item = document.createElement("li");
          var where = document.createElement("code");
          where.textContent = error.location;
          item.appendChild(where);
          item.appendChild(document.createTextNode(": " + error.message));
          list.appendChild(item);
        });
        overlay.appendChild(list);
        document.body.appendChild(overlay);
      }
      function swapStylesheet(link) {
        var url = new URL(link.href, location.href);
        url.searchParams.set("materia", Date.now().toString(36));
        var next = link.cloneNode();
        next.href = url.href;
        next.addEventListener("load", function () { link.remove(); });
        next.addEventListener("error", function () { link.remove(); });
        link.after(next);
      }
      function apply(paths) {
        var changed = new Set(paths);
        if (changed.has(here()) || changed.has(decodeURI(location.pathname)) || (notFound && changed.has("/404.html"))) {
          location.reload();
          return;
        }
        var sheets = [], reload = false;
        document.querySelectorAll("link[href],script[src],img[src],source[src],link[rel=icon]").forEach(function (element) {
          var path = pathOf(element.getAttribute("href") || element.getAttribute("src"));
          if (!path || !changed.has(path)) return;
          if (element.tagName === "LINK" && element.rel === "stylesheet") sheets.push(element); else reload = true;
        });
        if (reload) { location.reload(); return; }
        sheets.forEach(swapStylesheet);
      }
      var source = new EventSource("/__materia/events");
      source.addEventListener("hello", function (event) {
        var data = JSON.parse(event.data);
        if (build !== null && data.build !== build) { location.reload(); return; }
        build = data.build;
        showErrors(data.errors);
      });
      source.addEventListener("change", function (event) {
        var data = JSON.parse(event.data);
        build = data.build;
        hideErrors();
        apply(data.paths);
      });
      source.addEventListener("errors", function (event) {
        showErrors(JSON.parse(event.data).errors);
      });
    })();
    """#
}
