import Foundation

/// Wall time of the build's phases, printed to standard error when `MATERIA_TIMINGS` is set
/// (`MATERIA_TIMINGS=1 materia build`): for the benchmark, never part of normal output.
enum PhaseClock {
    static let enabled = ProcessInfo.processInfo.environment["MATERIA_TIMINGS"] != nil
    nonisolated(unsafe) private static var last: UInt64 = 0

    /// Prints the time since the previous mark under `name`; the first mark only starts the clock.
    static func mark(_ name: String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        guard last != 0 else { return }
        let line = "timing " + name.padding(toLength: 11, withPad: " ", startingAt: 0) + String(format: "%7.3f s\n", Double(now - last) / 1e9)
        FileHandle.standardError.write(Data(line.utf8))
    }
}
