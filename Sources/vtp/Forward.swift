import ArgumentParser
import Foundation
import VTPEval

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
        try options.matmul.run {
            let outputs = try ReferenceForward.run(model: try options.load(), input: URL(fileURLWithPath: input),
                                                   output: URL(fileURLWithPath: output), intermediate: intermediate)
            for (k, t) in outputs { print("\(k) \(t.shape)") }
        }
    }
}
