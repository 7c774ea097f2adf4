import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// The vision trunk's features of image files: final-norm `cls_token` [B, D] and `patch_tokens` [B, N, D]
/// (through the bottleneck with `bottleneck`), and with `lastBlocks` > 0 the outputs of the last blocks as
/// `intermediate_patch_i` ([B, N, D], or [B, D, h, w] with `reshape`) and `intermediate_cls_i` [B, D].
public enum FeatureExtraction {
    public static func extract(model: VTPModel, inputs: ImageInputs, lastBlocks: Int = 0, bottleneck: Bool = false,
                               reshape: Bool = false) throws -> [(String, Tensor)] {
        var collected: [String: [Tensor]] = [:]
        var order: [String] = []
        func add(_ k: String, _ t: Tensor) {
            if collected[k] == nil { order.append(k) }
            collected[k, default: []].append(t)
        }
        try inputs.forEachBatch(model: model, default: .adm) { _, x in
            try withNoGrad {
                let last = try model.lastLayerFeatures(x, useBottleneck: bottleneck)
                add("cls_token", last.clsToken)
                add("patch_tokens", last.patchTokens)
                if lastBlocks > 0 {
                    for (i, pair) in try model.intermediateLayers(x, last: lastBlocks, reshape: reshape).enumerated() {
                        add("intermediate_patch_\(i)", pair.patches)
                        add("intermediate_cls_\(i)", pair.cls)
                    }
                }
            }
        }
        return order.map { ($0, Tensor.concat(collected[$0]!, axis: 0)) }
    }
}
