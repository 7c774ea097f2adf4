/// Broadcasting arithmetic: `+ - * /` between tensors and with scalars.
extension Tensor {
    /// Applies `f` elementwise after NumPy broadcasting (no autograd record).
    static func broadcastZip(_ a: Tensor, _ b: Tensor, _ f: (Vec, Vec) -> Vec) -> Tensor {
        if a.shape == b.shape {
            let out = Tensor(uninitialized: a.shape)
            Loop.zip(a.count, a.data, b.data, out.data, f)
            return out
        }
        let shape = Shape.broadcast(a.shape, b.shape)
        // Fast path: one side repeats along leading axes (bias-like): zip row by row.
        if a.shape == shape, isSuffix(b.shape, of: shape), b.count > 0 {
            let out = Tensor(uninitialized: shape)
            let rows = a.count / b.count, n = b.count
            let (pa, pb, po) = (a.data, b.data, out.data)
            Parallel.forEach(rows, grain: Swift.max(1, 16384 / n)) { r in
                zipRow(n, pa + r * n, pb, po + r * n, f)
            }
            return out
        }
        if b.shape == shape, isSuffix(a.shape, of: shape), a.count > 0 {
            let out = Tensor(uninitialized: shape)
            let rows = b.count / a.count, n = a.count
            let (pa, pb, po) = (a.data, b.data, out.data)
            Parallel.forEach(rows, grain: Swift.max(1, 16384 / n)) { r in
                zipRow(n, pa, pb + r * n, po + r * n, f)
            }
            return out
        }
        let ea = BroadcastKernels.expand(a, to: shape), eb = BroadcastKernels.expand(b, to: shape)
        let out = Tensor(uninitialized: shape)
        Loop.zip(out.count, ea.data, eb.data, out.data, f)
        return out
    }

    private static func isSuffix(_ s: [Int], of full: [Int]) -> Bool {
        var t = s[...]
        while let f = t.first, f == 1, t.count > 0 { t = t.dropFirst() }
        return t.count <= full.count && Array(full.suffix(t.count)) == Array(t)
    }

    @inline(__always) private static func zipRow(_ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                                 _ d: UnsafeMutablePointer<Float>, _ f: (Vec, Vec) -> Vec) {
        var i = 0
        while i + 16 <= n { store(f(load(a + i), load(b + i)), d + i); i += 16 }
        if i < n { storePartial(f(loadPartial(a + i, n - i), loadPartial(b + i, n - i)), d + i, n - i) }
    }

    /// Applies `f` to every element (no autograd record).
    static func map(_ x: Tensor, _ f: (Vec) -> Vec) -> Tensor {
        let out = Tensor(uninitialized: x.shape)
        Loop.map(x.count, x.data, out.data, f)
        return out
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        var out = broadcastZip(a, b, +)
        record(&out, [a, b], .add(a.shape, b.shape))
        return out
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        var out = broadcastZip(a, b, -)
        record(&out, [a, b], .sub(a.shape, b.shape))
        return out
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        var out = broadcastZip(a, b, *)
        record(&out, [a, b], .mul(a.detached(), b.detached()))
        return out
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        var out = broadcastZip(a, b, /)
        record(&out, [a, b], .div(a.detached(), b.detached()))
        return out
    }

    public static func + (a: Tensor, s: Float) -> Tensor {
        var out = map(a) { $0 + s }
        record(&out, [a], .addScalar)
        return out
    }

    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    public static func - (s: Float, a: Tensor) -> Tensor { (-a) + s }

    public static func * (a: Tensor, s: Float) -> Tensor {
        var out = map(a) { $0 * s }
        record(&out, [a], .mulScalar(s))
        return out
    }

    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

    public static prefix func - (a: Tensor) -> Tensor { a * -1 }

    /// x^p elementwise.
    public func pow(_ p: Float) -> Tensor {
        var out: Tensor
        if p == 2 { out = Tensor.map(self) { $0 * $0 } } else {
            out = Tensor(uninitialized: shape)
            for i in 0..<count { out.data[i] = Foundation.pow(data[i], p) }
        }
        Tensor.record(&out, [self], .powScalar(detached(), p))
        return out
    }
}

import Foundation
