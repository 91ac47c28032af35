extension String {
    /// `body` with the string's UTF-8 bytes, read in place: a native string (every string Materia
    /// makes) is never copied for it, where `var copy = text; copy.withUTF8 { … }` costs a
    /// reference count each time. A bridged string is copied to be made contiguous.
    @inlinable
    public func withUTF8InPlace<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return try copy.withUTF8(body)
    }
}
