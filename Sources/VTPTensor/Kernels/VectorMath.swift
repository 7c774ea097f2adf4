/// Vectorised transcendental functions on `SIMD16<Float>` (the system `exp` is scalar).
///
/// Accuracy: `exp` about 2 ulp over its range (exactly 0 below -87.3, clamped above 88.7); `erf` absolute
/// error below 5e-7 (Abramowitz & Stegun 7.1.26 with our `exp`); `tanh` absolute error below 3e-7.
public typealias Vec = SIMD16<Float>

public enum VectorMath {
    public static let width = 16

    /// e^x.
    @inline(__always) public static func exp(_ x: Vec) -> Vec {
        let log2e: Float = 1.442_695_04, ln2hi: Float = 0.693_145_75, ln2lo: Float = 1.428_606_8e-6
        let magic: Float = 12_582_912  // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits
        let xc = clamp(x, -87.3, 88.7)
        let t = xc * log2e + magic
        let k = t - magic
        let r = xc - k * ln2hi - k * ln2lo
        // Taylor coefficients as Float constants (a literal such as `1.0 / 120` next to a vector would be
        // evaluated as a vector division on every call).
        let c6: Float = 0.001_388_888_9, c5: Float = 0.008_333_333, c4: Float = 0.041_666_668, c3: Float = 0.166_666_67
        var p = Vec(repeating: c6)
        p = p * r + c5
        p = p * r + c4
        p = p * r + c3
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let ki = unsafeBitCast(t, to: SIMD16<Int32>.self) &- SIMD16<Int32>(repeating: Int32(bitPattern: magic.bitPattern))
        let scale = unsafeBitCast((ki &+ SIMD16<Int32>(repeating: 127)) &<< SIMD16<Int32>(repeating: 23), to: Vec.self)
        return (p * scale).replacing(with: 0, where: x .< -87.3)
    }

    /// min(max(x, lo), hi) lane by lane; NaN stays NaN. Written with selects because the standard library's
    /// `pointwiseMin`/`pointwiseMax` on `SIMD16<Float>` are often left as out-of-line calls that run lane by lane
    /// (they made a row softmax 30× slower than its exponentials).
    @inline(__always) public static func clamp(_ x: Vec, _ lo: Float, _ hi: Float) -> Vec {
        x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi)
    }

    /// |x| (clears the sign bit).
    @inline(__always) public static func abs(_ x: Vec) -> Vec {
        unsafeBitCast(unsafeBitCast(x, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: Vec.self)
    }

    /// The Gauss error function.
    @inline(__always) public static func erf(_ x: Vec) -> Vec {
        let a = abs(x)
        let t = 1 / (1 + 0.327_591_1 * a)
        var y = Vec(repeating: 1.061_405_429)
        y = y * t - 1.453_152_027
        y = y * t + 1.421_413_741
        y = y * t - 0.284_496_736
        y = y * t + 0.254_829_592
        y = y * t
        let e: Vec = exp(-(a * a))
        let r: Vec = 1 - y * e
        return r.replacing(with: -r, where: x .< 0)
    }

    /// Hyperbolic tangent.
    @inline(__always) public static func tanh(_ x: Vec) -> Vec {
        let a = abs(x)
        let lim: Vec = clamp(a, 0, 20)
        let e: Vec = exp(-2 * lim)
        var r: Vec = (1 - e) / (1 + e)
        // Small |x|: odd series keeps the relative accuracy that (1-e)/(1+e) loses to cancellation.
        let a2: Vec = a * a
        let t5: Float = 0.133_333_33, t7: Float = 0.053_968_254, t3: Float = -0.333_333_34
        var poly: Vec = t5 - a2 * t7
        poly = t3 + a2 * poly
        let series: Vec = a * (1 + a2 * poly)
        r = r.replacing(with: series, where: a .< 0.125)
        return r.replacing(with: -r, where: x .< 0)
    }

    /// Logistic sigmoid 1 / (1 + e^-x).
    @inline(__always) public static func sigmoid(_ x: Vec) -> Vec { 1 / (1 + exp(-x)) }

    /// Scalar versions (tails of loops use these so that results do not depend on the position).
    @inline(__always) public static func exp(_ x: Float) -> Float { exp(Vec(repeating: x))[0] }
    @inline(__always) public static func erf(_ x: Float) -> Float { erf(Vec(repeating: x))[0] }
    @inline(__always) public static func tanh(_ x: Float) -> Float { tanh(Vec(repeating: x))[0] }
    @inline(__always) public static func sigmoid(_ x: Float) -> Float { sigmoid(Vec(repeating: x))[0] }
}

/// Loads and stores of 16 floats at arbitrary (unaligned) addresses, and partial tails.
@inline(__always) func load(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}
@inline(__always) func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}
@inline(__always) func loadPartial(_ p: UnsafePointer<Float>, _ n: Int, fill: Float = 0) -> Vec {
    var v = Vec(repeating: fill)
    for i in 0..<n { v[i] = p[i] }
    return v
}
@inline(__always) func storePartial(_ v: Vec, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { p[i] = v[i] }
}

/// Elementwise loops over dense buffers, written once for every kernel: `f` is applied 16 lanes at a time
/// and to the tail through a padded vector, so every element sees exactly the same arithmetic.
enum Loop {
    /// acc[i] += x[i] for i < n, on the calling thread.
    @inline(__always) static func accumulate(_ x: UnsafePointer<Float>, into acc: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 16 <= n { store(load(acc + i) + load(x + i), acc + i); i += 16 }
        while i < n { acc[i] += x[i]; i += 1 }
    }

    /// dst[i] = f(a[i]), parallel over chunks.
    @inline(__always) static func map(_ n: Int, _ a: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                      _ f: (Vec) -> Vec) {
        Parallel.forRanges((n + 15) / 16, grain: 4096) { r in
            for blk in r {
                let i = blk * 16
                if i + 16 <= n { store(f(load(a + i)), dst + i) } else {
                    storePartial(f(loadPartial(a + i, n - i)), dst + i, n - i)
                }
            }
        }
    }

    /// dst[i] = f(a[i], b[i]).
    @inline(__always) static func zip(_ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                      _ dst: UnsafeMutablePointer<Float>, _ f: (Vec, Vec) -> Vec) {
        Parallel.forRanges((n + 15) / 16, grain: 4096) { r in
            for blk in r {
                let i = blk * 16
                if i + 16 <= n { store(f(load(a + i), load(b + i)), dst + i) } else {
                    let m = n - i
                    storePartial(f(loadPartial(a + i, m), loadPartial(b + i, m)), dst + i, m)
                }
            }
        }
    }

    /// dst[i] = f(a[i], b[i], c[i]).
    @inline(__always) static func zip3(_ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                       _ c: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                       _ f: (Vec, Vec, Vec) -> Vec) {
        Parallel.forRanges((n + 15) / 16, grain: 4096) { r in
            for blk in r {
                let i = blk * 16
                if i + 16 <= n { store(f(load(a + i), load(b + i), load(c + i)), dst + i) } else {
                    let m = n - i
                    storePartial(f(loadPartial(a + i, m), loadPartial(b + i, m), loadPartial(c + i, m)), dst + i, m)
                }
            }
        }
    }

    /// Sum of a contiguous run, accumulated in 16 lanes then in Double.
    @inline(__always) static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vec(repeating: 0)
        var i = 0
        while i + 16 <= n { acc += load(p + i); i += 16 }
        var s = Double(acc.sum())
        while i < n { s += Double(p[i]); i += 1 }
        return Float(s)
    }
}
