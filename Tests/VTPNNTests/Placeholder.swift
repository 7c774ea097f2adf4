import Testing
@Test func placeholderVTPNNTests() { #expect(1 + 1 == 2) }
