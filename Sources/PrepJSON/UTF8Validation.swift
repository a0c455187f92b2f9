import PrepCore

/// Checks that `bytes` are well-formed UTF-8; returns the offset of the first ill-formed sequence, or nil.
public func firstInvalidUTF8Offset(_ bytes: UnsafeRawBufferPointer) -> Int? {
  guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
  return UTF8Check.firstInvalid(base.assumingMemoryBound(to: UInt8.self), bytes.count)
}
