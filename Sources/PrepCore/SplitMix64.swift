/// SplitMix64 (Steele, Lea and Flood): a tiny deterministic 64-bit generator. The validation split,
/// `verify --sample` and the trainer's initialization go through it, so their results never depend on the platform
/// or on the process.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  /// The state; any value is a valid seed.
  public var state: UInt64

  /// A generator seeded with `seed`.
  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
