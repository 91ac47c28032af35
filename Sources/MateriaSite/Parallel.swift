import Foundation

/// Maps `items` with `transform` on up to `jobs` threads; the result keeps the input order,
/// so output never depends on scheduling.
func parallelMap<T: Sendable, R: Sendable>(_ items: [T], jobs: Int, _ transform: @Sendable (T) -> R) -> [R] {
    if jobs <= 1 || items.count < 2 { return items.map(transform) }
    let results = UnsafeMutableBufferPointer<R?>.allocate(capacity: items.count)
    results.initialize(repeating: nil)
    defer { results.deinitialize(); results.deallocate() }
    nonisolated(unsafe) let buffer = results
    // Many small chunks, taken by whichever thread is free: the last one to finish leaves the
    // other threads idle for at most 1/32 of a thread's share.
    let chunks = min(items.count, jobs * 32)
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        var index = chunk
        while index < items.count {
            buffer[index] = transform(items[index])
            index += chunks
        }
    }
    return results.map { $0! }
}
