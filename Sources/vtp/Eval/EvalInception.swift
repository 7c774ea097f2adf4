import ArgumentParser
import Foundation
import VTPEval

struct EvalInception: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inception",
        abstract: "pytorch-fid InceptionV3 pool3 features: every 4-D key K of IN (RGB [B, 3, H, W] in [0, 1]) becomes K [B, 2048].")

    @Option(help: "pytorch-fid's pt_inception-2015-12-05-6726825d.pth, or safetensors with its keys.") var weights: String
    @Option(help: "Input safetensors.") var input: String
    @Option(help: "Output safetensors.") var output: String
    @Option(help: "Images per forward pass.") var batchSize: Int = 16

    func run() throws {
        let keys = try InceptionFeatures.extract(weights: URL(fileURLWithPath: weights), input: URL(fileURLWithPath: input),
                                                 output: URL(fileURLWithPath: output), batchSize: batchSize) { key, done, total in
            note("\(key): \(done)/\(total)")
        }
        for (key, shape) in keys { print("\(key) \(shape)") }
    }
}
