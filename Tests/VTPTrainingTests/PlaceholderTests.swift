import Testing
@testable import VTPTraining

@Test func trainingModuleLinks() { #expect(!VTPTrainingInfo.version.isEmpty) }
