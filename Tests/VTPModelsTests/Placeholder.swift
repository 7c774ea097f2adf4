import Testing
@Test func placeholderVTPModelsTests() { #expect(1 + 1 == 2) }
