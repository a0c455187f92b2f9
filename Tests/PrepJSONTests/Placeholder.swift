import Testing

@Test func placeholder_PrepJSONTests() { #expect(Bool(true)) }
