import Testing

@Test func placeholder_PrepPipelineTests() { #expect(Bool(true)) }
