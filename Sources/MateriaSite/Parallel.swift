import Foundation

/// Maps `items` with `transform` on up to `jobs` threads; the result keeps the input order,
/// so output never depends on scheduling.
func parallelMap<T: Sendable, R: Sendable>(_ items: [T], jobs: Int, _ transform: @Sendable (T) -> R) -> [R] {
    if jobs <= 1 || items.count < 2 { return items.map(transform) }
    let results = UnsafeMutableBufferPointer<R?>.allocate(capacity: items.count)
    results.initialize(repeating: nil)
    defer { results.deinitialize(); results.deallocate() }
    nonisolated(unsafe) let buffer = results
    let chunks = min(items.count, jobs * 8)
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        var index = chunk
        while index < items.count {
            buffer[index] = transform(items[index])
            index += chunks
        }
    }
    return results.map { $0! }
}
