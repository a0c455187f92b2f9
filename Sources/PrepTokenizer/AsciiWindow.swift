import CByteClasses

/// The pre-tokens of 64 ASCII bytes found all at once, from one bitmap per byte class (bit k for byte k,
/// from `CByteClasses`), instead of one pre-token at a time. The window starts where a pre-token starts
/// and ends at its last "word cut"; `EncoderCore.preTokenize` falls back to its scanner where no window
/// applies (a byte outside ASCII, no cut, fewer than `reach` bytes left).
///
/// A word cut is a space with an ASCII letter after it and an ASCII byte other than a space before it: a
/// pre-token always ends there (nothing before can take the space) and ` word` starts there. The regex
/// has no look-behind, so the text from a pre-token start is cut the same whatever precedes it, and the
/// pre-tokens before the cut depend only on the bytes up to it. Over those bytes the starts follow from
/// the bitmaps, rule by rule of the Qwen pattern:
/// - `[^\r\n\p{L}\p{N}]?\p{L}+`: a letter run starts a pre-token, unless the byte before it is a space
///   other than a newline, or an "other" byte that starts a pre-token (that byte then does, as the prefix);
/// - `\p{N}`: every digit;
/// - ` ?[^\s\p{L}\p{N}]+[\r\n]*`: a run of other bytes starts one, at the space before it if there is one
///   (that space is the last of its whitespace run, hence a start); the newlines right after the run
///   belong to it;
/// - `\s*[\r\n]+`, `\s+(?!\S)`, `\s+`: a whitespace run (less those newlines) starts one; if it holds
///   newlines, the first pre-token ends after the last of them; then, unless the run ends with a
///   newline, its last byte starts one (a `\s+(?!\S)` pre-token leaves it to the next rule);
/// - `(?i:'s|'t|'re|'ve|'m|'ll|'d)`: an apostrophe that starts a pre-token and has one of these after it
///   ends there, so a letter right after starts the next one.
///
/// The rules assume the ASCII classes of the Unicode tables are the usual ones (`matches`); the
/// tokenizer uses windows only when they are.
struct AsciiWindow {
  /// Bytes that must remain from the window's start: its 64, and 16 more, so that every pre-token in it
  /// can be read as a whole 16-byte cache key (`CacheKey(wide:_:)`) and a contraction's letters read
  /// past the window's end.
  static let reach = 80

  /// The pre-token starts before `cut` (bit 0 is always one), relative to the window's start.
  let starts: UInt64
  /// Where the window ends (its last word cut, a pre-token start), or 0 when no window applies.
  let cut: Int
  /// When `cut` is 0, how far on to try a window again.
  let retry: Int

  /// The window at `p` (64 bytes readable, and the two after them).
  @inline(__always)
  init(_ p: UnsafePointer<UInt8>) {
    let nonASCII = prep_non_ascii64(p)
    if nonASCII != 0 {
      (starts, cut, retry) = (0, 0, nonASCII.trailingZeroBitCount &+ 1)
      return
    }
    let classes = prep_classify64(p)
    let letters = classes.letters
    let spaces = classes.spaces
    let newlines = classes.newlines
    let blanks = classes.blanks
    // The last word cut (bit 63 has no letter after it in the window).
    let cuts = blanks & (letters >> 1) & ~(spaces << 1) & ~1
    if cuts == 0 {
      (starts, cut, retry) = (0, 0, 32)
      return
    }
    let others = ~(letters | classes.digits | spaces)
    // Newlines right after other bytes end that pre-token.
    let absorbed = AsciiWindow.fill(newlines & (others << 1), newlines)
    let white = spaces & ~absorbed
    let runEnds = white & ~(white >> 1)
    let tailEnds = runEnds & ~newlines
    var starts = 1 | classes.digits | (white & ~(white << 1)) | tailEnds
    if white & newlines != 0 {
      // Where the bytes after a run's last newline start: the tail without newlines of each run that
      // does not end with one (filled from its end, on reversed bits).
      let tails = AsciiWindow.reversed(
        AsciiWindow.fill(AsciiWindow.reversed(tailEnds), AsciiWindow.reversed(white & ~newlines)))
      starts |= tails & ~(tails << 1)
    }
    let otherStarts = others & ~(others << 1) & ~(blanks << 1)
    starts |= otherStarts
    starts |= letters & ~(letters << 1) & ~((spaces & ~newlines) << 1) & ~(otherStarts << 1)
    // Contractions: an apostrophe that starts a pre-token, then letters (ASCII letters fold by 0x20).
    var contractions = classes.apostrophes & otherStarts & (letters >> 1)
    while contractions != 0 {
      let c = contractions.trailingZeroBitCount
      contractions &= contractions &- 1
      let length = EncoderCore.contractionLength(p[c &+ 1] | 0x20, p[c &+ 2] | 0x20)
      // A shift of 64 or more gives 0: a letter past the window does not matter.
      if length > 0 { starts |= letters & (1 << UInt64(c &+ 1 &+ length)) }
    }
    let end = 63 &- cuts.leadingZeroBitCount
    self.starts = starts & ((1 << UInt64(end)) &- 1)
    cut = end
    retry = 0
  }

  /// Whether the tables class ASCII bytes as the window assumes: letters A-Z and a-z (those of
  /// contractions folded to lowercase), digits 0-9, newlines \n and \r, spaces \t \v \f and the space, and all
  /// other bytes "other".
  static func matches(_ unicode: UnicodeData) -> Bool {
    for b in 0..<128 {
      let expected: UInt8
      switch b {
      case 0x41...0x5A, 0x61...0x7A: expected = ScalarClass.letter
      case 0x30...0x39: expected = ScalarClass.number
      case 0x0A, 0x0D: expected = ScalarClass.newline
      case 0x09, 0x0B, 0x0C, 0x20: expected = ScalarClass.space
      default: expected = ScalarClass.other
      }
      if unicode.flags[b] & 7 != expected { return false }
      // The letters of contractions (d e l m r s t v, either case) as their lowercase, others 0.
      let folded = UInt8(b) | 0x20
      let contraction = expected == ScalarClass.letter && AsciiWindow.contractionLetters.contains(folded)
      if unicode.contractionLetter[b] != (contraction ? folded : 0) { return false }
    }
    return true
  }

  static let contractionLetters: [UInt8] = Array("delmrstv".utf8)

  /// The bits of `run` reachable from `seeds` going up through consecutive bits of `run`.
  @inline(__always)
  static func fill(_ seeds: UInt64, _ run: UInt64) -> UInt64 {
    let s = seeds & run
    return ((s &+ run) ^ run | s) & run
  }

  /// `x` with its bit order reversed.
  @inline(__always)
  static func reversed(_ x: UInt64) -> UInt64 {
    var v = x
    v = (v >> 1) & 0x5555_5555_5555_5555 | (v & 0x5555_5555_5555_5555) << 1
    v = (v >> 2) & 0x3333_3333_3333_3333 | (v & 0x3333_3333_3333_3333) << 2
    v = (v >> 4) & 0x0F0F_0F0F_0F0F_0F0F | (v & 0x0F0F_0F0F_0F0F_0F0F) << 4
    return v.byteSwapped
  }
}
