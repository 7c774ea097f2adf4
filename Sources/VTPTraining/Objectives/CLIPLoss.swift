// port of ClipLoss of mlfoundations/open_clip (src/open_clip/loss.py), single process
import Foundation
import VTPTensor

/// The symmetric InfoNCE loss of CLIP, as OpenCLIP's `ClipLoss`.
///
/// ```
/// logits = exp(s) · I · Tᵀ                        [N, N]; I, T: L2-normalised features [N, D]
/// L = ½ [ CE(logits, arange(N)) + CE(logitsᵀ, arange(N)) ]
/// ```
/// `s` is the learnable log-scale (`logit_scale`, init ln(1/0.07)); OpenCLIP clamps it to [0, ln 100] after every
/// optimiser step: call `clampLogitScale` there. Features are gathered over one process only (no all-gather).
public enum CLIPLoss {
    /// ln 100, OpenCLIP's upper bound on the log-scale.
    public static let maxLogitScale = Float(Foundation.log(100.0))

    /// exp(s)·I·Tᵀ [N, M] from image features [N, D], text features [M, D] and the log-scale s ([] or [1]).
    public static func logits(imageFeatures: Tensor, textFeatures: Tensor, logitScale: Tensor) -> Tensor {
        precondition(imageFeatures.rank == 2 && textFeatures.rank == 2 && imageFeatures.shape[1] == textFeatures.shape[1],
                     "CLIPLoss: features must be [N, D] and [M, D], got \(imageFeatures.shape) and \(textFeatures.shape)")
        precondition(logitScale.count == 1, "CLIPLoss: the logit scale must hold one value, got \(logitScale.shape)")
        return imageFeatures.matmul(textFeatures, transposeB: true) * logitScale.reshaped([1, 1]).exp()
    }

    /// The loss (scalar) of matched pairs (row i of both is one image-caption pair), each [N, D].
    public static func loss(imageFeatures: Tensor, textFeatures: Tensor, logitScale: Tensor) -> Tensor {
        precondition(imageFeatures.shape == textFeatures.shape, "CLIPLoss: \(imageFeatures.shape) images vs \(textFeatures.shape) texts")
        let l = logits(imageFeatures: imageFeatures, textFeatures: textFeatures, logitScale: logitScale)
        let labels = Array(0..<l.shape[0])
        return (l.crossEntropy(targets: labels) + l.transposed().crossEntropy(targets: labels)) * 0.5
    }

    /// OpenCLIP's `logit_scale.clamp_(0, ln 100)` on the parameter, after the optimiser step.
    public static func clampLogitScale(_ logitScale: Parameter, min: Float = 0, max: Float = CLIPLoss.maxLogitScale) {
        logitScale.value = withNoGrad { logitScale.value.detached().clamped(min, max) }
    }
}
