import Testing
@Test func placeholderVTPTensorTests() { #expect(1 + 1 == 2) }
