import ArgumentParser
import Foundation
import VTPModels
import VTPNN
import VTPTensor

struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every model output on tensors from a safetensors file (for parity checks).",
        discussion: """
        IN holds `images` (F32 [B,3,H,W], already ImageNet-normalised) and optionally `tokens` (I64 or I32 [T,L]). \
        OUT receives, as F32, the keys of the official fixtures: latents, reconstruction, clip_image, clip_text, \
        clip_logits, cls_token, patch_tokens and, with --intermediate N, intermediate_patch_i / intermediate_cls_i.
        """)

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Input safetensors file.")
    var input: String

    @Option(name: .long, help: "Output safetensors file (written atomically).")
    var output: String

    @Option(name: .long, help: "Also return the last N blocks' outputs.")
    var intermediate: Int = 0

    func run() throws {
        let model = try VTPModel.load(directory: URL(fileURLWithPath: options.model))
        model.ropePrecision = RopePrecision(rawValue: options.ropePrecision) ?? .bf16
        let file = try SafeTensorsFile(url: URL(fileURLWithPath: input))
        guard file.names.contains("images") else {
            throw ValidationError("\(input) has no tensor named 'images' (it has: \(file.names.joined(separator: ", ")))")
        }
        let info = try file.info("images")
        let images = Tensor(try file.floats("images"), shape: info.shape)
        var tokens: [Int]? = nil, rows = 0
        if file.names.contains("tokens") {
            let t = try file.info("tokens")
            guard t.shape.count == 2, [.i64, .i32].contains(t.dtype) else {
                throw ValidationError("'tokens' must be I64 or I32 [T, L], got \(t.dtype) \(t.shape)")
            }
            tokens = try file.int64s("tokens").map { Int($0) }
            rows = t.shape[0]
        }
        let outputs = try model.referenceOutputs(images: images, tokens: tokens, rows: rows, intermediate: intermediate)
        var w = SafeTensorsWriter(metadata: ["format": "pt", "producer": "swiftvtp vtp forward"])
        for (k, t) in outputs { try w.add(name: k, shape: t.shape, floats: t.scalars) }
        try w.write(to: URL(fileURLWithPath: output))
        for (k, t) in outputs { print("\(k) \(t.shape)") }
    }
}
