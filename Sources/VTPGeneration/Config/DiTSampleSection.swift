import Foundation
import VTPTraining

/// `sample:` — sampling settings of the grid drawn at every evaluation step (and the defaults of `vtp dit sample`).
public struct DiTSampleSection: Codable, Equatable, Sendable {
    /// The tokenizer that decodes the latents (a model folder, checkpoint or run folder). Default "": the one
    /// recorded in the latent folder's latents.json.
    public var tokenizer = ""
    /// Samples per class in the grid (0 = no grid). Default 4.
    public var perClass = 4
    /// `euler`, `heun` or `dopri5`. Default euler (official).
    public var method = "euler"
    /// Grid points of the fixed-step solvers (official: 250 points = 249 updates). Default 50.
    public var steps = 50
    /// Timestep shift s of the Euler grid, t' = s·t / (1 + (s − 1)·t) (0 = none; official VTP: 0.075). Default 0.
    public var shift = 0.0
    /// Classifier-free guidance scale (1 = none, official). Default 1.0.
    public var cfg = 1.0
    /// Guidance only for t ≥ this (null = at every t). Default null.
    public var cfgIntervalStart: Double? = nil
    /// Sample with the EMA weights (official) or the raw ones. Default true.
    public var useEMA = true

    public init() {}

    public func problems() -> [String] {
        unmet((perClass >= 0, "sample.per_class must be >= 0"), (ODEMethod(name: method) != nil, "sample.method must be euler, heun or dopri5"),
              (steps >= 2, "sample.steps must be at least 2"), (shift >= 0, "sample.shift must be >= 0"), (cfg >= 0, "sample.cfg must be >= 0"))
    }
}
