import Testing

@Test func placeholder_PrepInputTests() { #expect(Bool(true)) }
