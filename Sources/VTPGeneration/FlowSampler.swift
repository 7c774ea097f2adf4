import VTPModels
import VTPTensor

/// The official ODE sampler (`Sampler(transport).sample_ode(...)` then `sample_fn(z, model_fn, **kwargs)`): integrates
/// dx/dt = v(x, t) forward from t = 0 (noise) to t = 1 (data) on the shifted grid.
public struct FlowSampler: Equatable, Sendable {
    public var method: ODEMethod
    /// Grid points (fixed-grid solvers make `steps − 1` updates; dopri5 reports the state at each point).
    public var steps: Int
    /// Timestep shift s (0 = none).
    public var shift: Double
    public var atol: Double
    public var rtol: Double

    public init(method: ODEMethod, steps: Int, shift: Double = 0, atol: Double = 1e-6, rtol: Double = 1e-3) {
        (self.method, self.steps, self.shift, self.atol, self.rtol) = (method, steps, shift, atol, rtol)
    }

    public init(settings s: SampleSettings) throws {
        self.init(method: try s.method(), steps: s.numSamplingSteps, shift: s.timestepShift, atol: s.atol, rtol: s.rtol)
    }

    /// The time grid [steps] (see `TimestepGrid`).
    public func timeGrid() throws -> [Float] { try TimestepGrid.make(points: steps, shift: shift) }

    /// The state at every grid point, [0] = x0 (each of x0's shape); with `keepAll` false only x0 and the last.
    public func trajectory(_ v: VelocityField, from x0: Tensor, keepAll: Bool = true) throws -> [Tensor] {
        let grid = try timeGrid()
        if let fixed = method.fixedGrid { return try fixed.integrate(v, from: x0, grid: grid, keepAll: keepAll) }
        return try Dopri5Solver(rtol: rtol, atol: atol).integrate(v, from: x0, times: grid, keepAll: keepAll)
    }
}

extension LightningDiT {
    /// v(x, t) = forward(x, t·1, y) for fixed labels y [B].
    public func velocityField(labels: [Int]) -> VelocityField {
        { x, t in try self(x, t: Array(repeating: t, count: x.shape[0]), y: labels) }
    }

    /// Samples from noise [B, C, H, W] for labels [B], as `inference.py` `do_sample`: without guidance the plain
    /// forward; with guidance the doubled state [noise; noise] with labels [y; null] through `forwardWithCFG` (both
    /// halves are integrated — dopri5's error norm sees both — and the first half is returned).
    /// - Returns: the trajectory, [steps] tensors [B, C, H, W] (with `keepAll` false only the noise and the last);
    ///   the last is the sample.
    public func sampleTrajectory(noise: Tensor, labels: [Int], sampler: FlowSampler, guidance: Guidance? = nil,
                                 keepAll: Bool = true) throws -> [Tensor] {
        try validateInput(x: noise, t: Array(repeating: 0, count: labels.count), y: labels)
        guard let g = guidance else {
            return try sampler.trajectory(velocityField(labels: labels), from: noise, keepAll: keepAll)
        }
        guard let null = config.nullClass else {
            throw GenerationError.invalidSettings("classifier-free guidance needs a null class (class_dropout_prob > 0 when the model was built)")
        }
        let b = noise.shape[0]
        let y2 = labels + Array(repeating: null, count: b)
        let v: VelocityField = { x, t in try self.forwardWithCFG(x, t: Array(repeating: t, count: x.shape[0]), y: y2, guidance: g) }
        return try sampler.trajectory(v, from: Tensor.concat([noise, noise], axis: 0), keepAll: keepAll).map { $0.slice(axis: 0, 0..<b) }
    }
}
