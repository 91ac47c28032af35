import Foundation
import MateriaMarkdown

// `materia-floor DIR [RUNS] [both|arena|stock]`: the time cmark-gfm alone takes to parse and render
// the bodies of every article in DIR (front matter cut off), in this process, on one thread, as
// stock cmark-gfm does it: every extension attached to every body. Builds attach the autolink
// extension only where it can find something, search for addresses only where one can be, and
// leave "w" out of its characters (see `MarkdownRenderer.withDocument`): the same HTML for about
// 12 % fewer of cmark-gfm's instructions than this floor takes.
//
// Two floors, each timed over every body (`both`, the default, times the arena's first):
// - "floor" (`arena`, `MarkdownRenderer.plainHTML`): cmark-gfm's parser, tree and HTML carved out
//   of Materia's arena (CMarkGFMArena), as builds call it. Stricter than the floor.
// - "stock floor" (`stock`, `MarkdownRenderer.stockHTML`): cmark-gfm with its own allocator (the
//   C library's calloc and free), as a program that calls the library directly runs it. Its
//   figures match the performance issue's and ../shared/bench's floor: Hugo took 6.0× theirs
//   (6.0 s against 1.0 s) and takes 5.7–6.4× this one here (docs/performance.md, session 25).
// The benchmark prints the build's ratio to each.

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: materia-floor ARTICLES_DIR [RUNS] [both|arena|stock]\n".utf8))
    exit(64)
}
let folder = URL(fileURLWithPath: arguments[1])
guard arguments.count < 3 || Int(arguments[2]).map({ $0 > 0 }) == true else {
    FileHandle.standardError.write(Data("materia-floor: RUNS is a number of runs (1 or more), not \(arguments[2])\n".utf8))
    exit(64)
}
let runs = arguments.count > 2 ? Int(arguments[2])! : 3
let mode = arguments.count > 3 ? arguments[3] : "both"
guard ["both", "arena", "stock"].contains(mode) else {
    FileHandle.standardError.write(Data("materia-floor: the third argument is both, arena or stock, not \(mode)\n".utf8))
    exit(64)
}
let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".md") }.sorted()
var bodies: [String] = []
var bodyNames: [String] = []
var bytes = 0
for name in names {
    guard let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else { continue }
    // The body starts after the second line that is exactly "---".
    var body = Substring(text)
    if text.hasPrefix("---\n"), let end = text.range(of: "\n---\n", range: text.index(text.startIndex, offsetBy: 3)..<text.endIndex) {
        body = text[end.upperBound...]
    }
    bodies.append(String(body))
    bodyNames.append(name)
    bytes += body.utf8.count
}
/// Median and minimum of `runs` timed passes of `render` over every body, and the HTML's size.
@MainActor func timed(_ render: (String) -> String) -> (median: Double, min: Double, output: Int) {
    var times: [Double] = []
    var output = 0
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        output = 0
        for body in bodies { output += render(body).utf8.count }
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    return (times[times.count / 2], times[0], output)
}
if mode != "stock" {
    let floor = timed(MarkdownRenderer.plainHTML)
    print(String(format: "floor: %d bodies, %.1f MB Markdown → %.1f MB HTML, parse+render on one thread: median %.3f s (min %.3f s, %d runs)",
                 bodies.count, Double(bytes) / 1e6, Double(floor.output) / 1e6, floor.median, floor.min, runs))
}
if mode != "arena" {
    let stock = timed(MarkdownRenderer.stockHTML)
    print(String(format: "stock floor: %d bodies, %.1f MB Markdown → %.1f MB HTML, parse+render on one thread with cmark-gfm's own allocator: median %.3f s (min %.3f s, %d runs)",
                 bodies.count, Double(bytes) / 1e6, Double(stock.output) / 1e6, stock.median, stock.min, runs))
    // Both ways make the same HTML: checked after the timing, on every 16th body (all of them
    // would take as long again as both floors).
    for index in stride(from: 0, to: bodies.count, by: 16) where MarkdownRenderer.stockHTML(bodies[index]) != MarkdownRenderer.plainHTML(bodies[index]) {
        FileHandle.standardError.write(Data("materia-floor: cmark-gfm's own allocator made other HTML than the arena for \(bodyNames[index])\n".utf8))
        exit(1)
    }
}
