import ArgumentParser
import Foundation
import VTPEval

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Vision features (final-norm CLS and patch tokens, optionally of the last N blocks) to safetensors.",
        discussion: "Example: vtp features --model M photo.jpg --layers 4 --output feats.safetensors")

    @OptionGroup var options: ModelOptions
    @OptionGroup var imageOptions: ImageOptions

    @Option(name: .long, help: "Output .safetensors file.")
    var output: String

    @Option(name: .long, help: "Also save the last N blocks (intermediate_patch_i / intermediate_cls_i).")
    var layers: Int = 0

    @Flag(name: .long, help: "Pass the last layer's tokens through the bottleneck (latent width).")
    var bottleneck = false

    @Flag(name: .long, help: "Save intermediate patch tokens as [B, D, h, w] instead of [B, N, D].")
    var reshape = false

    @Argument(help: "Image files (PNG or JPEG).")
    var images: [String]

    func run() throws {
        try options.matmul.run {
            let features = try FeatureExtraction.extract(model: try options.load(), inputs: imageOptions.inputs(images),
                                                         lastBlocks: layers, bottleneck: bottleneck, reshape: reshape)
            for (k, t) in features { print("\(k) \(t.shape)") }
            try OutputFiles.writeTensors(features, to: URL(fileURLWithPath: output))
            print("wrote \(output)")
        }
    }
}
