import Foundation
import VTPNN
import VTPTensor

extension VTPModel {
    /// Every output the official fixtures hold, by key: `latents`, `reconstruction`, `clip_image`, `clip_text`,
    /// `clip_logits`, `cls_token`, `patch_tokens`, and for `intermediate` > 0 `intermediate_patch_{i}` /
    /// `intermediate_cls_{i}` (the last `intermediate` blocks through the final norm). Keys whose tower is
    /// missing (or text keys without tokens) are left out.
    /// - Parameters:
    ///   - images: [B, 3, H, W], already ImageNet-normalised.
    ///   - tokens: token ids [T, context] (row-major) or nil.
    public func referenceOutputs(images: Tensor, tokens: [Int]?, rows: Int, intermediate: Int = 0) throws -> [(String, Tensor)] {
        try withNoGrad {
            var out: [(String, Tensor)] = []
            let latents = try reconstructionLatents(images)
            out.append(("latents", latents))
            if pixelDecoder != nil { out.append(("reconstruction", try decode(latents))) }
            if visualProj != nil {
                let img = try clipImageFeatures(images)
                out.append(("clip_image", img))
                if let tokens {
                    let txt = try clipTextFeatures(tokens: tokens, rows: rows)
                    out.append(("clip_text", txt))
                    out.append(("clip_logits", try clipLogits(imageFeatures: img, textFeatures: txt)))
                }
            }
            let last = try lastLayerFeatures(images)
            out.append(("cls_token", last.clsToken))
            out.append(("patch_tokens", last.patchTokens))
            if intermediate > 0 {
                for (i, pair) in try intermediateLayers(images, last: intermediate).enumerated() {
                    out.append(("intermediate_patch_\(i)", pair.patches))
                    out.append(("intermediate_cls_\(i)", pair.cls))
                }
            }
            return out
        }
    }
}
