import ArgumentParser
import Foundation
import VTPEval

struct EvalLPIPS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lpips",
        abstract: "LPIPS-VGG v0.1 of in0, in1 [N, 3, H, W] in [-1, 1]: writes distance, layer0…layer4 [N, 1, 1, 1] (and spatial_map).")

    @Option(parsing: .upToNextOption, help: "Weights: torchvision's vgg16 .pth and lpips' vgg.pth, or one safetensors file.")
    var weights: [String]
    @Option(help: "Input safetensors with in0 and in1.") var input: String
    @Option(help: "Output safetensors.") var output: String
    @Flag(help: "Also write spatial_map [N, 1, H, W].") var spatial = false

    func run() throws {
        let d = try LPIPSEvaluation.run(weights: weights.map { URL(fileURLWithPath: $0) }, input: URL(fileURLWithPath: input),
                                        output: URL(fileURLWithPath: output), spatial: spatial)
        print("LPIPS mean \(d.reduce(0, +) / Float(Swift.max(d.count, 1))) over \(d.count) pairs")
    }
}
