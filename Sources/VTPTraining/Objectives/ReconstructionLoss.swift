// the pixel-reconstruction objective of VTP (L1 + LPIPS, as the perceptual part of taming-transformers'
// VQLPIPSWithDiscriminator)
import Foundation
import VTPData
import VTPModels
import VTPTensor

/// Reconstruction loss between decoded and target images, both in ImageNet-normalised space [B, 3, H, W].
///
/// ```
/// L_pix = mean |x̂ − x|        (or mean (x̂ − x)² with `.mse`)
/// L_p   = mean_b LPIPS(u(x̂), u(x))      u(x) = 2·(x·std + mean) − 1  ∈ [−1, 1]
/// L     = L_pix + λ_p · L_p   (L_p = 0 when there is no LPIPS network)
/// ```
/// As taming's `rec_loss = |x − x̂| + λ_p·p_loss` averaged over every element (LPIPS is per image, so its mean over
/// the pixels is its mean over the batch). The LPIPS network is frozen; gradients reach x̂ only.
public struct ReconstructionLoss {
    /// The per-pixel distance.
    public enum PixelLoss: String, Codable, Sendable { case l1, mse }

    public var pixelLoss: PixelLoss
    /// λ_p.
    public var perceptualWeight: Float
    /// The LPIPS network (`LPIPS.load(url:)`); `nil` turns the perceptual term off.
    public var lpips: LPIPS?

    public init(pixelLoss: PixelLoss = .l1, perceptualWeight: Float = 1, lpips: LPIPS? = nil) {
        self.pixelLoss = pixelLoss
        self.perceptualWeight = perceptualWeight
        self.lpips = lpips
    }

    /// With the LPIPS weights file made by `scripts/convert_lpips_weights.py`, or without the perceptual term when
    /// `lpipsWeights` is nil. A path that does not exist or does not hold LPIPS weights throws (it is not ignored).
    public init(pixelLoss: PixelLoss = .l1, perceptualWeight: Float = 1, lpipsWeights: URL?) throws {
        self.init(pixelLoss: pixelLoss, perceptualWeight: perceptualWeight, lpips: try lpipsWeights.map { try LPIPS.load(url: $0) })
    }

    /// The loss and its parts (scalars) of decoded images against targets, both [B, 3, H, W] normalised.
    public func callAsFunction(decoded: Tensor, target: Tensor) -> ReconstructionLossTerms {
        precondition(decoded.shape == target.shape && decoded.rank == 4 && decoded.shape[1] == 3,
                     "ReconstructionLoss: decoded \(decoded.shape) and target \(target.shape) must both be [B, 3, H, W]")
        let x = target.detached()
        let pixel = pixelLoss == .l1 ? decoded.l1Loss(x) : decoded.mseLoss(x)
        guard let lpips, perceptualWeight != 0 else { return ReconstructionLossTerms(total: pixel, pixel: pixel, perceptual: nil) }
        let p = lpips(ReconstructionLoss.toSignedUnitRange(decoded), ReconstructionLoss.toSignedUnitRange(x)).mean()
        return ReconstructionLossTerms(total: pixel + p * perceptualWeight, pixel: pixel, perceptual: p)
    }

    /// ImageNet-normalised [B, 3, H, W] → [−1, 1]: 2·(x·std + mean) − 1.
    public static func toSignedUnitRange(_ x: Tensor) -> Tensor {
        let std = Tensor(Preprocess.imagenetStd.map { 2 * $0 }, shape: [1, 3, 1, 1])
        let mean = Tensor(Preprocess.imagenetMean.map { 2 * $0 - 1 }, shape: [1, 3, 1, 1])
        return x * std + mean
    }
}

/// The value of a `ReconstructionLoss` and its parts (scalars; `total` is the one to differentiate).
public struct ReconstructionLossTerms {
    public var total: Tensor
    public var pixel: Tensor
    /// mean LPIPS (before λ_p), `nil` when off.
    public var perceptual: Tensor?
}
