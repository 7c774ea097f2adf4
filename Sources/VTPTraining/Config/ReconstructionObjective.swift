import Foundation

/// Pixel loss of the reconstruction objective.
public enum PixelLossKind: String, ConfigChoice, Sendable {
    case l1, mse
}

/// `objectives.reconstruction:` — pixel reconstruction through the latent bottleneck and the pixel decoder.
public struct ReconstructionObjective: Codable, Equatable, Sendable {
    /// Default true.
    public var enabled = true
    /// Weight of the pixel loss. Default 1.0.
    public var weight = 1.0
    /// `l1` or `mse`. Default l1.
    public var loss: PixelLossKind = .l1
    /// Weight of the LPIPS perceptual loss (0 = off; needs `lpips_weights_path`). Default 0.0.
    public var lpipsWeight = 0.0
    /// LPIPS network weights (a safetensors file). Default "" (none).
    public var lpipsWeightsPath = ""
    /// Sample-drop rate of the trunk for this objective's forward pass. Default 0.0.
    public var dropPath = 0.0

    public init() {}

    /// Problems with these settings on their own.
    public func problems() -> [String] {
        unmet(weightCheck("reconstruction", weight), weightCheck("reconstruction.lpips_weight", lpipsWeight),
              dropPathCheck("reconstruction", dropPath),
              (!enabled || lpipsWeight <= 0 || !lpipsWeightsPath.isEmpty,
               "objectives.reconstruction.lpips_weight > 0 needs lpips_weights_path (the LPIPS network weights)"))
    }
}
