/// Every differentiable operation, with what its gradient rule needs (saved tensors are detached).
/// The rules themselves are in one place: `GradientRules.vjp`.
public enum Op {
    case leaf
    // Arithmetic (broadcasting)
    case add([Int], [Int])
    case sub([Int], [Int])
    case mul(Tensor, Tensor)
    case div(Tensor, Tensor)
    case addScalar
    case mulScalar(Float)
    case powScalar(Tensor, Float)
    // Elementwise functions
    case exp(Tensor)            // saved: output
    case log(Tensor)            // saved: input
    case sqrt(Tensor)           // saved: output
    case rsqrt(Tensor)          // saved: output
    case abs(Tensor)
    case sigmoid(Tensor)        // saved: output
    case tanh(Tensor)           // saved: output
    case relu(Tensor)
    case silu(Tensor)
    case gelu(Tensor, approximate: Bool)
    case clamp(Tensor, Float, Float)
    case leakyRelu(Tensor, Float)
    // Reductions and shapes
    case sum(inputShape: [Int], keptShape: [Int])
    case reshape([Int])
    case permute([Int])
    case concat(axis: Int, sizes: [Int])
    case slice(axis: Int, start: Int, inputShape: [Int])
    case gatherRows([Int], tableShape: [Int])
    case scatterAddRows([Int], sourceShape: [Int])
    case expand([Int])
    /// Each output element copies input element `indices[i]` (max/min, max pooling).
    case pick([Int], inputShape: [Int])
    // Products
    case matmul(Tensor, Tensor, transposeA: Bool, transposeB: Bool)
    case linear(Tensor, Tensor, hasBias: Bool)
    case conv2d(input: Tensor, weight: Tensor, geometry: ConvGeometry, hasBias: Bool)
    // Neural-network ops
    case softmax(Tensor)        // saved: output
    case logSoftmax(Tensor)     // saved: output
    case norm(x: Tensor, weight: Tensor?, hasBias: Bool, mean: Tensor, rstd: Tensor, rms: Bool)
    case swiglu(Tensor, Tensor)
    case swigluHalves(Tensor)
    case l2Normalize(Tensor, norms: Tensor, eps: Float)  // saved: output
    case crossEntropy(logProbs: Tensor, targets: [Int])
    case attention(q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, mask: Tensor?, causal: Bool, scale: Float)
    case rope(sin: Tensor, cos: Tensor, prefix: Int, interleaved: Bool)
    case splitHeads(heads: Int, sin: Tensor?, cos: Tensor?, prefix: Int, interleaved: Bool)
    case packedAttention(packed: Tensor, out: Tensor, lse: Tensor, mask: Tensor?, causal: Bool, scale: Float)
    case qkvAttention(qkv: Tensor, out: Tensor, lse: Tensor, heads: Int, rope: HeadRope?, mask: Tensor?, causal: Bool, scale: Float,
                      kept: Tensor?)
    // Custom ops defined outside this module supply their own rule.
    case custom(name: String, backward: (Tensor) -> [Tensor?])

    /// A short name for messages and profiles.
    public var name: String {
        if case .custom(let n, _) = self { return n }
        // The case label (describing the whole value would print its tensors: slow enough to distort VTP_PROFILE).
        return Mirror(reflecting: self).children.first?.label ?? String(describing: self)
    }
}

extension Tensor {
    /// Records a custom differentiable op: `backward` maps the output gradient to one gradient per input.
    public static func custom(_ output: Tensor, inputs: [Tensor], name: String,
                              backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        var out = output.detached()
        record(&out, inputs, .custom(name: name, backward: backward))
        return out
    }
}
