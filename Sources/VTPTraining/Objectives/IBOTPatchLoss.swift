// port of iBOTPatchLoss.forward_masked of facebookresearch/dinov2 (dinov2/loss/ibot_patch_loss.py)
import VTPTensor

/// The iBOT masked-image-modelling loss: the DINO cross-entropy on the patch tokens the student saw masked.
///
/// ```
/// h_r = −Σ_k t[r, k] · log_softmax(s[r, :] / τ_s)[k]          r: one masked patch (student logits s, targets t)
/// L = Σ_r h_r / m(image(r))  /  n_images                      m(i) = masked patches of image i (at least 1)
/// ```
/// Every image weighs the same whatever its mask ratio; images without a masked patch count in `n_images` but add
/// nothing (dinov2 divides by all the global crops of the batch). The teacher targets come from the teacher's
/// unmasked view of the same patches, centred by the iBOT `TeacherCentering` (updated with the masked teacher
/// logits) or `SinkhornKnopp`. τ_s = 0.1.
///
/// Shapes: masks [n_images·N] (row-major [image, patch], `true` = masked); student and teacher [M, K] with one row
/// per masked patch in that order (M = number of `true`s), e.g. from `maskedRows(_:masks:)`.
public enum IBOTPatchLoss {
    public static let studentTemperature: Float = 0.1

    /// The loss (scalar).
    /// - Parameters:
    ///   - student: the student's logits of the masked patches [M, K].
    ///   - teacher: the teacher's targets of the same patches [M, K] (not differentiated).
    ///   - masks: which patches were masked, [n_images·N] row-major.
    ///   - patchesPerImage: N.
    public static func loss(student: Tensor, teacher: Tensor, masks: [Bool], patchesPerImage: Int,
                            studentTemperature: Float = IBOTPatchLoss.studentTemperature) -> Tensor {
        let weights = rowWeights(masks: masks, patchesPerImage: patchesPerImage)
        precondition(student.rank == 2 && student.shape == teacher.shape && student.shape[0] == weights.count,
                     "IBOTPatchLoss: student \(student.shape) and teacher \(teacher.shape) must be [\(weights.count), K]")
        let images = masks.count / patchesPerImage
        guard !weights.isEmpty else { return Tensor(scalar: 0) }
        let logp = (student * (1 / studentTemperature)).logSoftmax()
        let h = -(teacher.detached() * logp).sum(axis: -1)                 // [M]
        return (h * Tensor(weights, shape: [weights.count])).sum() * (1 / Float(images))
    }

    /// 1 / (masked patches of its image) for each masked patch, in mask order (dinov2 `masks_weight`).
    public static func rowWeights(masks: [Bool], patchesPerImage n: Int) -> [Float] {
        precondition(n > 0 && masks.count % n == 0, "IBOTPatchLoss: \(masks.count) mask entries are not images of \(n) patches")
        var out: [Float] = []
        for i in 0..<(masks.count / n) {
            let m = masks[(i * n)..<((i + 1) * n)].reduce(0) { $0 + ($1 ? 1 : 0) }
            out += Array(repeating: 1 / Float(Swift.max(m, 1)), count: m)
        }
        return out
    }

    /// The rows of `tokens` [n_images, N, D] where `masks` [n_images·N] is true → [M, D] (differentiable gather).
    public static func maskedRows(_ tokens: Tensor, masks: [Bool]) -> Tensor {
        precondition(tokens.rank == 3 && tokens.shape[0] * tokens.shape[1] == masks.count,
                     "IBOTPatchLoss: tokens \(tokens.shape) do not match \(masks.count) mask entries")
        let rows = masks.indices.filter { masks[$0] }
        return tokens.reshaped([masks.count, tokens.shape[2]]).gatherRows(rows)
    }
}
