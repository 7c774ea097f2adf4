import Foundation
import VTPModels
import VTPNN
import VTPTensor

/// Every output of the official API for tensors from a file (the parity entry point, as the official fixtures
/// are made): IN holds `images` (F32 [B, 3, H, W], ImageNet-normalised) and optionally `tokens` (I64/I32 [T, L]);
/// OUT receives latents, reconstruction, clip_image, clip_text, clip_logits, cls_token, patch_tokens and, with
/// `intermediate` N, intermediate_patch_i / intermediate_cls_i.
public enum ReferenceForward {
    @discardableResult
    public static func run(model: VTPModel, input: URL, output: URL, intermediate: Int = 0) throws -> [(String, Tensor)] {
        let file = try SafeTensorsFile(url: input)
        let images = try file.tensor("images")
        var tokens: [Int]? = nil, rows = 0
        if file.contains("tokens") {
            let t = try file.info("tokens")
            guard t.shape.count == 2, [.i64, .i32].contains(t.dtype) else {
                throw VTPError.invalidInput("'tokens' in \(input.path) must be I64 or I32 [T, L], got \(t.dtype) \(t.shape)")
            }
            tokens = try file.int64s("tokens").map { Int($0) }
            rows = t.shape[0]
        }
        let outputs = try model.referenceOutputs(images: images, tokens: tokens, rows: rows, intermediate: intermediate)
        try OutputFiles.writeTensors(outputs, metadata: ["producer": "swiftvtp vtp forward"], to: output)
        return outputs
    }
}
