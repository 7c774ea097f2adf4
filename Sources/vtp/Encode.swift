import ArgumentParser
import Foundation
import VTPEval

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode images to latents [B, C, H/p, W/p] in a safetensors file (key `latents`).")

    @OptionGroup var options: ModelOptions
    @OptionGroup var imageOptions: ImageOptions

    @Option(name: .long, help: "Output .safetensors file.")
    var output: String

    @Argument(help: "Image files (PNG or JPEG).")
    var images: [String]

    func run() throws {
        try options.matmul.run {
            let latents = try LatentFiles.encode(model: try options.load(), inputs: imageOptions.inputs(images),
                                                 output: URL(fileURLWithPath: output))
            print("latents \(latents.shape) -> \(output)")
        }
    }
}
