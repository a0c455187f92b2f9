import Testing

@Test func placeholder_PrepTokenizerTests() { #expect(Bool(true)) }
