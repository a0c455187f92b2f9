import PrepCore

/// PrepCore's SplitMix64: seeded, so every random test is repeatable.
typealias SplitMix = SplitMix64

let pad: UInt32 = 151_643
