import Testing

@Test func placeholder_PrepTemplateTests() { #expect(Bool(true)) }
