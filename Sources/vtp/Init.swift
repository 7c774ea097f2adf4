import ArgumentParser
import Foundation
import VTPModels

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a randomly initialised model (official initialisation) in the official format.",
        discussion: "Presets: \(VTPConfig.presetNames.joined(separator: ", ")). Example: vtp init --preset small --output my-vtp-s")

    @Option(name: .long, help: "Model size: tiny, small, base or large.")
    var preset: String

    @Option(name: .long, help: "Output folder.")
    var output: String

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Image size recorded in config.json.")
    var imageSize: Int = 256

    func run() throws {
        let m = try VTPModel.initialize(preset: preset, imageSize: imageSize, seed: seed, directory: URL(fileURLWithPath: output))
        print(try ModelSummary.describe(m))
        print("wrote \(output)/config.json and \(output)/model.safetensors")
    }
}
