import PrepCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// xoshiro256** (Blackman and Vigna): the trainer's only source of randomness, seeded from the config.
struct Xoshiro256 {
  var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
  /// A second normal deviate from the last Box–Muller pair, if unused.
  var spareNormal: Double?

  init(seed: UInt64) {
    var mixer = SplitMix64(seed: seed)
    s0 = mixer.next()
    s1 = mixer.next()
    s2 = mixer.next()
    s3 = mixer.next()
    spareNormal = nil
  }

  mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = s3 << 45 | s3 >> 19
    return result
  }

  /// Uniform in [0, 1) with 53 random bits.
  mutating func nextUnit() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// Uniform integer in 0..<bound (bound > 0), by rejection so that it is unbiased.
  mutating func next(below bound: Int) -> Int {
    let b = UInt64(bound)
    let limit = UInt64.max - UInt64.max % b
    while true {
      let x = next()
      if x < limit { return Int(x % b) }
    }
  }

  /// A standard normal deviate (Box–Muller).
  mutating func nextNormal() -> Double {
    if let spare = spareNormal {
      spareNormal = nil
      return spare
    }
    let u1 = 1.0 - nextUnit()  // (0, 1]
    let u2 = nextUnit()
    let radius = (-2.0 * log(u1)).squareRoot()
    let angle = 2.0 * Double.pi * u2
    spareNormal = radius * sin(angle)
    return radius * cos(angle)
  }
}
