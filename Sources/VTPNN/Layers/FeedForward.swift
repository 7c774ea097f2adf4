import VTPTensor

/// SwiGLU feed-forward: w3(silu(w1·x) ⊙ w2·x). Keys: `w1`, `w2` [H, D], `w3` [D, H].
public final class SwiGLUFFN: Module {
    public let w1: Linear, w2: Linear, w3: Linear
    public var items: [ModuleItem] { [.child("w1", w1), .child("w2", w2), .child("w3", w3)] }

    /// Hidden width of the official `SwiGLUFFN`: int(int(D·ratio)·2/3) rounded up to a multiple of `align`.
    public static func hiddenDimensions(_ d: Int, ratio: Double, align: Int = 8) -> Int {
        let h = Int(Double(d) * ratio), s = Int(Double(h) * 2 / 3)
        return s + ((align - s % align) % align)
    }

    public init(_ d: Int, hidden: Int, bias: Bool = true, rng: inout RNG) {
        w1 = Linear(d, hidden, bias: bias, rng: &rng)
        w2 = Linear(d, hidden, bias: bias, rng: &rng)
        w3 = Linear(hidden, d, bias: bias, rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { w3(w1(x).swiglu(w2(x))) }
}

/// Two-layer MLP with GELU: fc2(gelu(fc1·x)). Keys given by the caller (`fc1`/`fc2` or `c_fc`/`c_proj`).
public final class MLP: Module {
    public let fc1: Linear, fc2: Linear
    let keys: (String, String)
    public let approximateGELU: Bool
    public var items: [ModuleItem] { [.child(keys.0, fc1), .child(keys.1, fc2)] }

    public init(_ d: Int, hidden: Int, bias: Bool = true, keys: (String, String) = ("fc1", "fc2"),
                approximateGELU: Bool = false, rng: inout RNG) {
        fc1 = Linear(d, hidden, bias: bias, rng: &rng)
        fc2 = Linear(hidden, d, bias: bias, rng: &rng)
        self.keys = keys
        self.approximateGELU = approximateGELU
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { fc2(fc1(x).gelu(approximate: approximateGELU)) }
}
