// port of SigLipLoss of mlfoundations/open_clip (src/open_clip/loss.py), single process
import Foundation
import VTPTensor

/// The sigmoid image-text loss of SigLIP (Zhai et al. 2023), as OpenCLIP's `SigLipLoss`.
///
/// ```
/// z_ij = exp(s) · I_i·T_j + b                      [N, N]; I, T: L2-normalised features [N, D]
/// y_ij = +1 if i = j else −1
/// L = −Σ_ij log σ(y_ij · z_ij) / N                 (OpenCLIP divides the sum by N, not N²)
/// ```
/// `s` (log-scale) and `b` (bias) are learnable, initialised to ln 10 and −10.
public enum SigLIPLoss {
    public static let initialLogitScale = Float(Foundation.log(10.0))
    public static let initialLogitBias: Float = -10

    /// The loss (scalar) of matched pairs [N, D] with log-scale s and bias b (each one value, [] or [1]).
    public static func loss(imageFeatures: Tensor, textFeatures: Tensor, logitScale: Tensor, logitBias: Tensor) -> Tensor {
        precondition(imageFeatures.shape == textFeatures.shape, "SigLIPLoss: \(imageFeatures.shape) images vs \(textFeatures.shape) texts")
        precondition(logitBias.count == 1, "SigLIPLoss: the logit bias must hold one value, got \(logitBias.shape)")
        let n = imageFeatures.shape[0]
        let z = CLIPLoss.logits(imageFeatures: imageFeatures, textFeatures: textFeatures, logitScale: logitScale)
            + logitBias.reshaped([1, 1])
        var labels = [Float](repeating: -1, count: n * n)
        for i in 0..<n { labels[i * n + i] = 1 }
        return -logSigmoid(z * Tensor(labels, shape: [n, n])).sum() * (1 / Float(n))
    }

    /// log σ(x) = min(x, 0) − log(1 + e^−|x|), elementwise; gradient σ(−x).
    static func logSigmoid(_ x: Tensor) -> Tensor {
        let out = Tensor(uninitialized: x.shape)
        for i in 0..<x.count {
            let v = Double(x.data[i])
            out.data[i] = Float(Swift.min(v, 0) - Foundation.log1p(Foundation.exp(-Swift.abs(v))))
        }
        let saved = x.detached()
        return Tensor.custom(out, inputs: [x], name: "logSigmoid") { g in [g * (-saved).sigmoid()] }
    }
}
