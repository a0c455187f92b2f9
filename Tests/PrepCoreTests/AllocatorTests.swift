import CMalloc
import Testing

/// `prep` sets the allocator to keep freed memory (`prep_keep_freed_memory`, called first thing in `main`).
@Suite struct AllocatorTests {
  @Test func glibcTakesEverySetting() {
    #if canImport(Glibc)
      // glibc refuses a setting out of its range (an mmap threshold above 32 MiB, for one) by returning 0.
      // (A first version returned 0 here: its `#if defined(__GLIBC__)` came before any libc header.)
      #expect(prep_keep_freed_memory() == 1)
    #endif
  }
}
