import Foundation

/// Wall time of the build's phases, printed to standard error when `MATERIA_TIMINGS` is set
/// (`MATERIA_TIMINGS=1 materia build`): for the benchmark, never part of normal output.
enum PhaseClock {
    static let enabled = ProcessInfo.processInfo.environment["MATERIA_TIMINGS"] != nil
    nonisolated(unsafe) private static var last: UInt64 = 0
    nonisolated(unsafe) private static var lastCPU: Double = 0

    /// Prints the time since the previous mark under `name`; the first mark only starts the clock.
    static func mark(_ name: String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let cpu = cpuSeconds()
        defer { last = now; lastCPU = cpu }
        guard last != 0 else { return }
        let line = "timing " + name.padding(toLength: 11, withPad: " ", startingAt: 0) + String(format: "%7.3f s", Double(now - last) / 1e9)
            + String(format: "   cpu %6.3f s", cpu - lastCPU) + "   rss \(residentMegabytes()) MB, peak \(peakMegabytes()) MB" + heapText() + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// jemalloc's figures, when the process runs on it (the materia binary; not the tests): the
    /// bytes in live allocations, the pages holding them, and all it keeps resident (freed pages
    /// included, until they go back). Tells data a phase keeps from memory the allocator keeps.
    /// `mallctl` is looked up at run time: the library targets do not link jemalloc.
    private static func heapText() -> String {
        typealias Mallctl = @convention(c) (UnsafePointer<CChar>?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?, UnsafeMutableRawPointer?, Int) -> Int32
        guard let symbol = dlsym(nil, "mallctl") else { return "" }
        let mallctl = unsafeBitCast(symbol, to: Mallctl.self)
        var epoch: UInt64 = 1
        var size = MemoryLayout<UInt64>.size
        _ = mallctl("epoch", nil, nil, &epoch, size)
        var allocated = 0, active = 0, resident = 0
        size = MemoryLayout<Int>.size
        _ = mallctl("stats.allocated", &allocated, &size, nil, 0)
        _ = mallctl("stats.active", &active, &size, nil, 0)
        _ = mallctl("stats.resident", &resident, &size, nil, 0)
        return ", heap \(allocated / 1_048_576) MB (active \(active / 1_048_576), resident \(resident / 1_048_576))"
    }

    /// User and system CPU time of the process so far, all threads.
    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Resident set size now, from /proc/self/statm (pages of 4 KiB).
    private static func residentMegabytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * 4096 / 1_048_576
    }

    /// The peak resident set size so far (VmHWM in /proc/self/status).
    private static func peakMegabytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes / 1024
    }
}
