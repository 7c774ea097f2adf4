import Foundation

/// A seeded, splittable random generator (xoshiro256** seeded through SplitMix64).
///
/// The same seed gives the same stream on every platform: the integer core is exact, and normals use the
/// Box–Muller transform in `Double`. `split()` derives an independent child stream (for data workers, crops,
/// masks) without disturbing how the parent continues after it. The whole state is 4 words (`state`), so a
/// training checkpoint can save and restore it exactly.
public struct RNG: RandomNumberGenerator, Sendable, Equatable {
    public var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var sm = seed
        state = (RNG.splitMix(&sm), RNG.splitMix(&sm), RNG.splitMix(&sm), RNG.splitMix(&sm))
    }

    public init(state: [UInt64]) {
        precondition(state.count == 4, "RNG state has 4 words")
        self.state = (state[0], state[1], state[2], state[3])
    }

    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    public static func == (a: RNG, b: RNG) -> Bool { a.stateWords == b.stateWords }

    static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = RNG.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = RNG.rotl(state.3, 45)
        return result
    }

    /// An independent generator derived from the next output (advances this one by one step).
    public mutating func split() -> RNG { RNG(seed: next() ^ 0xD1B5_4A32_D192_ED03) }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216) }

    /// Uniform in [lo, hi).
    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * uniform() }

    /// Uniform in [0, 1) as Double (53 bits).
    public mutating func uniformDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992) }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(uniformDouble(), 1e-300), u2 = uniformDouble()
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    /// Normal with the given mean and standard deviation, redrawn until it lies in [mean + a·std, mean + b·std].
    public mutating func truncatedNormal(mean: Float = 0, std: Float = 1, a: Float = -2, b: Float = 2) -> Float {
        while true {
            let z = normal()
            if z >= a && z <= b { return mean + std * z }
        }
    }

    /// True with probability p.
    public mutating func bernoulli(_ p: Float) -> Bool { uniform() < p }

    /// Uniform integer in 0..<n (unbiased).
    public mutating func int(below n: Int) -> Int { Int(next(upperBound: UInt64(n))) }

    /// A random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, int(below: i + 1)) }
        return p
    }
}

extension Tensor {
    /// Fills a new tensor in parallel chunks of 65536 elements; chunk c draws from its own stream seeded from
    /// one draw of `rng` and c, so the result depends only on the seed, never on the thread count.
    static func randomFill(_ shape: [Int], rng: inout RNG, _ draw: (inout RNG, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        let t = Tensor(uninitialized: shape)
        let base = rng.next(), chunk = 65536, n = t.count, p = t.data
        Parallel.forEach((n + chunk - 1) / chunk) { c in
            var r = RNG(seed: base ^ (UInt64(c) &* 0x9E37_79B9_7F4A_7C15))
            draw(&r, p + c * chunk, Swift.min(chunk, n - c * chunk))
        }
        return t
    }

    /// Standard-normal samples times `std` plus `mean` (Box–Muller, both outputs used).
    public static func randomNormal(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout RNG) -> Tensor {
        randomFill(shape, rng: &rng) { r, p, n in
            var i = 0
            while i < n {
                let u1 = Swift.max(r.uniformDouble(), 1e-300), u2 = r.uniformDouble()
                let radius = (-2 * Foundation.log(u1)).squareRoot(), angle = 2 * Double.pi * u2
                p[i] = mean + std * Float(radius * Foundation.cos(angle))
                if i + 1 < n { p[i + 1] = mean + std * Float(radius * Foundation.sin(angle)) }
                i += 2
            }
        }
    }

    /// Uniform samples in [lo, hi).
    public static func randomUniform(_ shape: [Int], _ lo: Float = 0, _ hi: Float = 1, rng: inout RNG) -> Tensor {
        randomFill(shape, rng: &rng) { r, p, n in for i in 0..<n { p[i] = r.uniform(lo, hi) } }
    }

    /// Truncated-normal samples (as `torch.nn.init.trunc_normal_` with bounds in units of `std`).
    public static func randomTruncatedNormal(_ shape: [Int], std: Float, a: Float = -2, b: Float = 2, rng: inout RNG) -> Tensor {
        randomFill(shape, rng: &rng) { r, p, n in for i in 0..<n { p[i] = r.truncatedNormal(std: std, a: a, b: b) } }
    }
}
