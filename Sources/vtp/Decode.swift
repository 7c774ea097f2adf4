import ArgumentParser
import Foundation
import VTPEval

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode latents (key `latents`, [B, C, h, w]) from a safetensors file to PNG images.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Input .safetensors file (as written by `vtp encode`).")
    var input: String

    @Option(name: .long, help: "Output folder.")
    var output: String

    @Option(name: .long, help: "Latents per forward pass.")
    var batch: Int = 8

    func run() throws {
        try options.matmul.run {
            try LatentFiles.decode(model: try options.load(), input: URL(fileURLWithPath: input), outputDirectory: output,
                                   batch: batch) { print($0.path) }
        }
    }
}
