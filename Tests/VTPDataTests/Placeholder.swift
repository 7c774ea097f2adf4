import Testing
@Test func placeholderVTPDataTests() { #expect(1 + 1 == 2) }
