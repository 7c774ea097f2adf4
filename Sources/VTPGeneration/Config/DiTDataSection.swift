import Foundation
import VTPTraining

/// `data:` — the latents to train on (a folder written by `vtp dit extract`).
public struct DiTDataSection: Codable, Equatable, Sendable {
    /// The latent folder. Default "" (required).
    public var latents = ""
    /// Train on the latent of the image or of its horizontal flip, each with probability 0.5 (official). Default true.
    public var randomFlip = true

    public init() {}

    public func problems() -> [String] {
        unmet((!latents.isEmpty, "data.latents must name a folder written by `vtp dit extract`"))
    }
}
