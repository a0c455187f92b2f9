import Testing

@Test func placeholder_PrepShardTests() { #expect(Bool(true)) }
