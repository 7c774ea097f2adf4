import Foundation
import VTPTensor

/// Adaptive Dormand–Prince 5(4) with torchdiffeq's semantics (`odeint(method: "dopri5", rtol:, atol:)`, v0.2.5),
/// as the official `sample_ode(sampling_method="dopri5")` runs it:
///
/// * times in Double, the state and every Runge–Kutta stage in Float (stage times t₀ + α·dt in Float; the stages with
///   α = 1 are evaluated at the Float just below t₁);
/// * first step from Hairer–Nørsett–Wanner's heuristic (`_select_initial_step`, order 4);
/// * error ratio = RMS over all elements of err / (atol + rtol·max(|y₀|, |y₁|)); a step is accepted when ≤ 1;
///   next dt = dt·min(10, max(0.9·ratio^(−1/5), 0.2)) (no shrink floor below 1 after an accepted step);
/// * outputs at the requested grid by the 4th-order interpolant (`_interp_fit` with the DPS mid-point coefficients);
///   steps may overshoot the last grid point (the field is then evaluated past it, as in torchdiffeq).
public struct Dopri5Solver: Sendable {
    public var rtol: Double
    public var atol: Double
    /// Gives up after this many steps (accepted or rejected).
    public var maxSteps: Int

    public init(rtol: Double = 1e-3, atol: Double = 1e-6, maxSteps: Int = 100_000) {
        self.rtol = rtol
        self.atol = atol
        self.maxSteps = maxSteps
    }

    // Dormand–Prince tableau, rounded to Float as torchdiffeq moves it to the state dtype.
    static let alpha: [Float] = toFloat([1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1])
    static let betaDouble: [[Double]] = [
        [1.0 / 5],
        [3.0 / 40, 9.0 / 40],
        [44.0 / 45, -56.0 / 15, 32.0 / 9],
        [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729],
        [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656],
        [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84],
    ]
    static let beta: [[Float]] = betaDouble.map(toFloat)
    static let cErrorDouble: [Double] = [
        35.0 / 384 - 1951.0 / 21600, 0, 500.0 / 1113 - 22642.0 / 50085, 125.0 / 192 - 451.0 / 720,
        -2187.0 / 6784 - -12231.0 / 42400, 11.0 / 84 - 649.0 / 6300, -1.0 / 60,
    ]
    static let cError: [Float] = toFloat(cErrorDouble)
    static let midDouble: [Double] = [
        6025192743.0 / 30085553152 / 2, 0, 51252292925.0 / 65400821598 / 2, -2691868925.0 / 45128329728 / 2,
        187940372067.0 / 1594534317056 / 2, -1776094331.0 / 19743644256 / 2, 11237099.0 / 235043384 / 2,
    ]
    static let mid: [Float] = toFloat(midDouble)
    static func toFloat(_ v: [Double]) -> [Float] { v.map { Float($0) } }

    /// The state at every requested time ([0] = x0; with `keepAll` false only x0 and the last); `times` must be
    /// strictly increasing.
    public func integrate(_ v: VelocityField, from x0: Tensor, times: [Float], keepAll: Bool = true) throws -> [Tensor] {
        guard times.count >= 2, zip(times, times.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw GenerationError.invalidSettings("dopri5 needs ≥ 2 strictly increasing times, got \(times)")
        }
        return try withNoGrad {
            var solver = State(y: x0, f: try v(x0, times[0]), t0: Double(times[0]), t1: Double(times[0]), dt: 0,
                               interp: Array(repeating: x0, count: 5))
            solver.dt = try initialStep(v, t0: Double(times[0]), y0: x0, f0: solver.f)
            var out = [x0]
            var steps = 0
            for (index, next) in times.enumerated().dropFirst() {
                let target = Double(next)
                while target > solver.t1 {
                    guard steps < maxSteps else {
                        throw GenerationError.solverFailure("dopri5: no convergence after \(maxSteps) steps (t = \(solver.t1)); loosen rtol/atol")
                    }
                    solver = try step(v, solver)
                    steps += 1
                }
                if keepAll || index == times.count - 1 {
                    out.append(Self.evaluate(solver.interp, t0: solver.t0, t1: solver.t1, at: target))
                }
            }
            return out
        }
    }

    struct State {
        var y: Tensor, f: Tensor
        var t0: Double, t1: Double, dt: Double
        var interp: [Tensor]
    }

    /// Root mean square of a/b over all elements, in Double (b = atol + rtol·scale, per element).
    private static func rms(_ a: Tensor, tolerance: (Int) -> Double) -> Double {
        var acc = 0.0
        for i in 0..<a.count { let r = Double(a.data[i]) / tolerance(i); acc += r * r }
        return (acc / Double(Swift.max(a.count, 1))).squareRoot()
    }

    /// base + (Σ terms[j].0 · terms[j].1), element by element in Float, the sum first (as torchdiffeq's
    /// `y0 + sum(k · (β·dt))`).
    static func combine(_ base: Tensor, _ terms: [(Tensor, Float)]) -> Tensor {
        let s = sum(terms)
        let (o, b) = (s.data, base.data)
        for i in 0..<s.count { o[i] = b[i] + o[i] }
        return s
    }

    /// Σ terms[j].0 · terms[j].1 in Float.
    static func sum(_ terms: [(Tensor, Float)]) -> Tensor {
        let out = Tensor.zeros(terms[0].0.shape)
        for (k, c) in terms {
            let (o, p) = (out.data, k.data)
            for i in 0..<out.count { o[i] += p[i] * c }
        }
        return out
    }

    /// `_select_initial_step` (Hairer et al. II.4) for order 5 − 1.
    func initialStep(_ v: VelocityField, t0: Double, y0: Tensor, f0: Tensor) throws -> Double {
        let scale: (Int) -> Double = { atol + Double(Swift.abs(y0.data[$0])) * rtol }
        let d0 = Self.rms(y0, tolerance: scale), d1 = Self.rms(f0, tolerance: scale)
        let h0 = (d0 < 1e-5 || d1 < 1e-5) ? Double(Float(1e-6)) : 0.01 * d0 / d1
        let y1 = Self.combine(y0, [(f0, Float(h0))])
        let f1 = try v(y1, Float(t0 + h0))
        let d2 = Self.rms(f1 - f0, tolerance: scale) / h0
        let h1 = (d1 <= 1e-15 && d2 <= 1e-15) ? Swift.max(1e-6, h0 * 1e-3) : Foundation.pow(0.01 / Swift.max(d1, d2), 1.0 / 5)
        return Swift.min(100 * h0, h1)
    }

    /// One adaptive step (`_adaptive_step`): accepted, it moves the state to t0 + dt; rejected, it only shrinks dt.
    func step(_ v: VelocityField, _ s: State) throws -> State {
        let dt = s.dt.isFinite ? Swift.max(s.dt, 0) : 0
        let (t0, y0, f0) = (s.t1, s.y, s.f)
        let t1 = t0 + dt
        guard t1 > t0 else { throw GenerationError.solverFailure("dopri5: step size underflow (dt = \(dt) at t = \(t0))") }
        guard (0..<y0.count).allSatisfy({ y0.data[$0].isFinite }) else {
            throw GenerationError.solverFailure("dopri5: non-finite values in the state at t = \(t0)")
        }
        let (t0f, dtf, t1f) = (Float(t0), Float(dt), Float(t1))
        var k = [f0]
        var yi = y0
        for (i, a) in Self.alpha.enumerated() {
            let ti = a == 1 ? t1f.nextDown : t0f + a * dtf
            yi = Self.combine(y0, zip(k, Self.beta[i]).map { ($0, $1 * dtf) })
            k.append(try v(yi, ti))
        }
        let y1 = yi, f1 = k[6]
        let err = Self.sum(zip(k, Self.cError).map { ($0, dtf * $1) })
        let ratio = Self.rms(err) { i in atol + rtol * Double(Swift.max(Swift.abs(y0.data[i]), Swift.abs(y1.data[i]))) }
        let accept = ratio <= 1
        let next = Self.optimalStep(dt, ratio: ratio)
        guard accept else { return State(y: y0, f: f0, t0: t0, t1: t0, dt: next, interp: s.interp) }
        let yMid = Self.combine(y0, zip(k, Self.mid).map { ($0, dtf * $1) })
        return State(y: y1, f: f1, t0: t0, t1: t1, dt: next, interp: Self.fit(y0: y0, y1: y1, yMid: yMid, f0: k[0], f1: f1, dt: dtf))
    }

    /// `_optimal_step_size` with safety 0.9, ifactor 10, dfactor 0.2 (1 after an accepted step), order 5.
    static func optimalStep(_ dt: Double, ratio: Double) -> Double {
        if ratio == 0 { return dt * 10 }
        let dfactor = ratio < 1 ? 1.0 : 0.2
        return dt * Swift.min(10, Swift.max(0.9 / Foundation.pow(ratio, 1.0 / 5), dfactor))
    }

    /// `_interp_fit`: coefficients [e, d, c, b, a] of a·x⁴ + b·x³ + c·x² + d·x + e on x ∈ [0, 1], in Float.
    static func fit(y0: Tensor, y1: Tensor, yMid: Tensor, f0: Tensor, f1: Tensor, dt: Float) -> [Tensor] {
        let a = (f1 - f0) * (2 * dt) - (y1 + y0) * 8 + yMid * 16
        let b = (f0 * 5 - f1 * 3) * dt + y0 * 18 + y1 * 14 - yMid * 32
        let c = (f1 - f0 * 4) * dt - y0 * 11 - y1 * 5 + yMid * 16
        return [y0, f0 * dt, c, b, a]
    }

    /// `_interp_evaluate` at t ∈ [t0, t1]: x = (t − t0)/(t1 − t0) in Double, then the polynomial in Float.
    static func evaluate(_ coefficients: [Tensor], t0: Double, t1: Double, at t: Double) -> Tensor {
        let x = Float((t - t0) / (t1 - t0))
        var total = coefficients[0] + coefficients[1] * x
        var power = x
        for c in coefficients.dropFirst(2) {
            power *= x
            total = total + c * power
        }
        return total
    }
}
