import Testing

@Test func placeholder_PrepTrainTests() { #expect(Bool(true)) }
