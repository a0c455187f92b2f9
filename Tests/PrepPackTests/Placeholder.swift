import Testing

@Test func placeholder_PrepPackTests() { #expect(Bool(true)) }
