import Foundation

/// ODE solvers of the official `Sampler.sample_ode` (torchdiffeq method names).
public enum ODEMethod: String, Codable, Sendable, CaseIterable {
    case euler, midpoint, heun2, heun3, rk4, dopri5

    /// The fixed-grid solver, nil for dopri5.
    public var fixedGrid: FixedGridSolver? { FixedGridSolver(rawValue: rawValue) }

    /// Accepts the torchdiffeq names and `heun` for `heun2`.
    public init?(name: String) {
        let n = name.lowercased()
        self.init(rawValue: n == "heun" ? "heun2" : n)
    }
}

/// The `create_transport` arguments (`transport:` of a LightningDiT/VTP config). Only the Linear path with velocity
/// prediction (every official VTP config) is supported.
public struct TransportSettings: Codable, Equatable, Sendable {
    public var pathType = "Linear"
    public var prediction = "velocity"
    public var lossWeight: String? = nil
    public var trainEps: Double? = nil
    public var sampleEps: Double? = nil
    public var useCosineLoss: Bool? = nil
    public var useLognorm: Bool? = nil
    public var lognormMu: Double = 0
    public var lognormSigma: Double = 1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case pathType = "path_type", prediction, lossWeight = "loss_weight", trainEps = "train_eps"
        case sampleEps = "sample_eps", useCosineLoss = "use_cosine_loss", useLognorm = "use_lognorm"
        case lognormMu = "lognorm_mu", lognormSigma = "lognorm_sigma"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pathType = try c.decodeIfPresent(String.self, forKey: .pathType) ?? "Linear"
        prediction = try c.decodeIfPresent(String.self, forKey: .prediction) ?? "velocity"
        lossWeight = try c.decodeIfPresent(String.self, forKey: .lossWeight)
        trainEps = try c.decodeIfPresent(Double.self, forKey: .trainEps)
        sampleEps = try c.decodeIfPresent(Double.self, forKey: .sampleEps)
        useCosineLoss = try c.decodeIfPresent(Bool.self, forKey: .useCosineLoss)
        useLognorm = try c.decodeIfPresent(Bool.self, forKey: .useLognorm)
        lognormMu = try c.decodeIfPresent(Double.self, forKey: .lognormMu) ?? 0
        lognormSigma = try c.decodeIfPresent(Double.self, forKey: .lognormSigma) ?? 1
    }

    /// Throws for settings this implementation does not cover.
    public func validate() throws {
        guard pathType == "Linear" else {
            throw GenerationError.unsupported("transport path_type '\(pathType)' is not supported (only Linear)")
        }
        guard prediction == "velocity" else {
            throw GenerationError.unsupported("transport prediction '\(prediction)' is not supported (only velocity)")
        }
        if let w = lossWeight, w != "none" {
            throw GenerationError.unsupported("transport loss_weight '\(w)' has no effect on velocity prediction; remove it")
        }
    }

    /// The training-time distribution of t.
    public var timeDistribution: TimeDistribution {
        useLognorm == true ? .logitNormal(mu: lognormMu, sigma: lognormSigma) : .uniform
    }
}

/// The `sample:` section of a LightningDiT/VTP config, as `inference.py` `do_sample` reads it, plus `cfg_channels`
/// (SwiftVTP; absent means the official 3-channel form).
public struct SampleSettings: Codable, Equatable, Sendable {
    public var mode = "ODE"
    public var samplingMethod = "dopri5"
    /// Grid points (fixed-grid solvers make one update fewer); output points for dopri5.
    public var numSamplingSteps = 50
    public var atol = 1e-6
    public var rtol = 1e-3
    public var reverse = false
    public var timestepShift = 0.0
    public var cfgScale = 1.0
    public var cfgIntervalStart = 0.0
    public var cfgChannels: CFGChannels? = nil

    public init() {}

    enum CodingKeys: String, CodingKey {
        case mode, samplingMethod = "sampling_method", numSamplingSteps = "num_sampling_steps", atol, rtol, reverse
        case timestepShift = "timestep_shift", cfgScale = "cfg_scale", cfgIntervalStart = "cfg_interval_start"
        case cfgChannels = "cfg_channels"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SampleSettings()
        mode = try c.decodeIfPresent(String.self, forKey: .mode) ?? d.mode
        samplingMethod = try c.decodeIfPresent(String.self, forKey: .samplingMethod) ?? d.samplingMethod
        numSamplingSteps = try c.decodeIfPresent(Int.self, forKey: .numSamplingSteps) ?? d.numSamplingSteps
        atol = try c.decodeIfPresent(Double.self, forKey: .atol) ?? d.atol
        rtol = try c.decodeIfPresent(Double.self, forKey: .rtol) ?? d.rtol
        reverse = try c.decodeIfPresent(Bool.self, forKey: .reverse) ?? d.reverse
        timestepShift = try c.decodeIfPresent(Double.self, forKey: .timestepShift) ?? d.timestepShift
        cfgScale = try c.decodeIfPresent(Double.self, forKey: .cfgScale) ?? d.cfgScale
        cfgIntervalStart = try c.decodeIfPresent(Double.self, forKey: .cfgIntervalStart) ?? d.cfgIntervalStart
        cfgChannels = try c.decodeIfPresent(CFGChannels.self, forKey: .cfgChannels)
    }

    /// The solver, or a clear error for settings the official ODE sampler would not run either.
    public func method() throws -> ODEMethod {
        guard mode.uppercased() == "ODE" else {
            throw GenerationError.unsupported("sample mode '\(mode)' is not supported (only ODE)")
        }
        guard !reverse else {
            throw GenerationError.unsupported("reverse: true is not supported (the official ODE sampler asserts forward time)")
        }
        guard let m = ODEMethod(name: samplingMethod) else {
            throw GenerationError.unsupported("sampling_method '\(samplingMethod)' is not supported (euler, midpoint, heun2/heun, heun3, rk4, dopri5)")
        }
        guard numSamplingSteps >= 2 else {
            throw GenerationError.invalidSettings("num_sampling_steps must be ≥ 2, got \(numSamplingSteps)")
        }
        guard atol > 0, rtol > 0 else { throw GenerationError.invalidSettings("atol and rtol must be > 0") }
        return m
    }
}

/// A `sampling.json` of the parity fixtures: `transport`, `sample`, and optionally `cfg_interval_start_extra`.
public struct SamplingFile: Codable, Equatable, Sendable {
    public var transport = TransportSettings()
    public var sample = SampleSettings()
    public var cfgIntervalStartExtra: Double? = nil

    public init() {}

    enum CodingKeys: String, CodingKey {
        case transport, sample, cfgIntervalStartExtra = "cfg_interval_start_extra"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        transport = try c.decodeIfPresent(TransportSettings.self, forKey: .transport) ?? TransportSettings()
        sample = try c.decodeIfPresent(SampleSettings.self, forKey: .sample) ?? SampleSettings()
        cfgIntervalStartExtra = try c.decodeIfPresent(Double.self, forKey: .cfgIntervalStartExtra)
    }

    /// Reads and checks a sampling file.
    public static func load(from url: URL) throws -> SamplingFile {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw GenerationError.invalidInput("file not found: \(url.path)")
        }
        let file: SamplingFile
        do {
            file = try JSONDecoder().decode(SamplingFile.self, from: data)
        } catch {
            throw GenerationError.invalidSettings("cannot read sampling settings \(url.path): \(error)")
        }
        try file.transport.validate()
        _ = try file.sample.method()
        return file
    }
}
