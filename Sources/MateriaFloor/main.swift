import Foundation
import MateriaMarkdown

// `materia-floor DIR [RUNS]`: the time cmark-gfm alone takes to parse and render the bodies of
// every article in DIR (front matter cut off), in this process, on one thread, as stock cmark-gfm
// does it: every extension attached to every body (`MarkdownRenderer.plainHTML`). The benchmark
// compares builds with it. Builds attach the autolink extension only where it can find something,
// search for addresses only where one can be, and leave "w" out of its characters (see
// `MarkdownRenderer.withDocument`): the same HTML for about 12 % fewer of cmark-gfm's instructions
// than this floor takes.

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: materia-floor ARTICLES_DIR [RUNS]\n".utf8))
    exit(64)
}
let folder = URL(fileURLWithPath: arguments[1])
let runs = arguments.count > 2 ? max(1, Int(arguments[2]) ?? 3) : 3
let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".md") }.sorted()
var bodies: [String] = []
var bytes = 0
for name in names {
    guard let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else { continue }
    // The body starts after the second line that is exactly "---".
    var body = Substring(text)
    if text.hasPrefix("---\n"), let end = text.range(of: "\n---\n", range: text.index(text.startIndex, offsetBy: 3)..<text.endIndex) {
        body = text[end.upperBound...]
    }
    bodies.append(String(body))
    bytes += body.utf8.count
}
var times: [Double] = []
var output = 0
for _ in 0..<runs {
    let start = DispatchTime.now().uptimeNanoseconds
    output = 0
    for body in bodies { output += MarkdownRenderer.plainHTML(body).utf8.count }
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}
times.sort()
print(String(format: "floor: %d bodies, %.1f MB Markdown → %.1f MB HTML, parse+render on one thread: median %.3f s (min %.3f s, %d runs)",
             bodies.count, Double(bytes) / 1e6, Double(output) / 1e6, times[times.count / 2], times[0], runs))
