import ArgumentParser
import Foundation
import VTPModels

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model's configuration and parameter counts per tower.")

    @Option(name: .long, help: "Model folder (config.json + model.safetensors).")
    var model: String

    func run() throws {
        print(try ModelSummary.describe(try VTPModel.load(directory: URL(fileURLWithPath: model))))
    }
}
