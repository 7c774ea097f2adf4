import ArgumentParser
import Foundation
import VTPEval

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Converts a PyTorch checkpoint (.pth/.pt, zip or legacy; read without executing it) to safetensors.")

    @Argument(help: "Input checkpoint.") var input: String
    @Argument(help: "Output safetensors.") var output: String
    @Option(help: "Convert only this entry of the checkpoint's dict (e.g. ema, model; dots descend).") var key: String?

    func run() throws {
        let ckpt = try WeightFiles.convert(URL(fileURLWithPath: input), to: URL(fileURLWithPath: output), key: key)
        print("wrote \(ckpt.tensors.count) tensors to \(output)")
        for (name, kind) in ckpt.skipped { print("skipped \(name) (\(kind))") }
    }
}
