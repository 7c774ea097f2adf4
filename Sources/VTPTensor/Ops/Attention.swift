/// Fused scaled-dot-product attention and rotary position embedding.
extension Tensor {
    /// softmax(q·kᵀ·scale + mask)·v per batch item and head.
    ///
    /// - Parameters:
    ///   - q: [B, H, Nq, d]; `k`, `v`: [B, H, Nk, d].
    ///   - mask: optional additive mask [Nq, Nk] shared by all batch items and heads (−∞ blocks a key).
    ///   - causal: blocks keys after the query position (query i sees keys 0...i).
    ///   - scale: defaults to 1/√d.
    /// - Returns: [B, H, Nq, d]. Memory is linear in the sequence length (see `AttentionKernels`).
    public static func attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor? = nil, causal: Bool = false,
                                 scale: Float? = nil) -> Tensor {
        precondition(q.rank == 4 && k.rank == 4 && v.shape == k.shape && q.shape[0] == k.shape[0]
                     && q.shape[1] == k.shape[1] && q.shape[3] == k.shape[3],
                     "attention: q \(q.shape), k \(k.shape), v \(v.shape) must be [B, H, N, d] with matching B, H, d")
        let (b, h, nq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let nk = k.shape[2]
        if let mask { precondition(mask.shape == [nq, nk], "attention: mask \(mask.shape) ≠ [\(nq), \(nk)]") }
        let s = scale ?? 1 / Float(d).squareRoot()
        var (out, lse) = AttentionKernels.forward(q: q, k: k, v: v, bh: b * h, nq: nq, nk: nk, d: d, scale: s,
                                                  mask: mask, causal: causal)
        out = out.reshaped([b, h, nq, d])
        let saved = out
        record(&out, [q, k, v], .attention(q: q.detached(), k: k.detached(), v: v.detached(), out: saved,
                                           lse: lse, mask: mask?.detached(), causal: causal, scale: s))
        return out
    }

    /// Rotary embedding with half-split pairs: out = x·cos + rotate_half(x)·sin, rotate_half([x₁|x₂]) = [−x₂|x₁].
    ///
    /// - Parameters:
    ///   - self: [B, H, N, d]; the first `prefix` tokens are not rotated.
    ///   - sin, cos: [N − prefix, d] tables.
    ///   - bf16: emulate PyTorch running the rotation in bfloat16: x, each product and the sum are rounded
    ///     to bf16 (prefix tokens are rounded too). The gradient treats rounding as the identity.
    public func rope(sin: Tensor, cos: Tensor, prefix: Int = 0, bf16: Bool = false) -> Tensor {
        let (n, d) = (shape[2], shape[3])
        precondition(rank == 4 && d % 2 == 0 && sin.shape == [n - prefix, d] && cos.shape == sin.shape,
                     "rope: x \(shape) needs sin/cos [\(n - prefix), \(d)], got \(sin.shape), \(cos.shape)")
        var out = RopeKernels.apply(self, sin: sin, cos: cos, prefix: prefix, bf16: bf16, inverse: false)
        Tensor.record(&out, [self], .rope(sin: sin.detached(), cos: cos.detached(), prefix: prefix))
        return out
    }
}

enum RopeKernels {
    /// Forward rotation, or (`inverse`) its transpose: dx = dy·cos + rotate_halfᵀ(dy·sin), rotate_halfᵀ([a|b]) = [b|−a].
    static func apply(_ x: Tensor, sin: Tensor, cos: Tensor, prefix: Int, bf16: Bool, inverse: Bool) -> Tensor {
        let (n, d) = (x.shape[2], x.shape[3])
        let half = d / 2
        let out = Tensor(uninitialized: x.shape)
        let rows = x.count / d
        let (px, po, ps, pc) = (x.data, out.data, sin.data, cos.data)
        @inline(__always) func r(_ v: Float) -> Float { bf16 ? BF16Kernels.round(v) : v }
        Parallel.forEach(rows, grain: 64) { row in
            let t = row % n
            let xr = px + row * d, orow = po + row * d
            if t < prefix { for j in 0..<d { orow[j] = r(xr[j]) }; return }
            let sr = ps + (t - prefix) * d, cr = pc + (t - prefix) * d
            for j in 0..<half {
                let a = r(xr[j]), b = r(xr[j + half])
                if inverse {
                    orow[j] = a * cr[j] + b * sr[j + half]
                    orow[j + half] = b * cr[j + half] - a * sr[j]
                } else {
                    orow[j] = r(r(a * cr[j]) + r(-b * sr[j]))
                    orow[j + half] = r(r(b * cr[j + half]) + r(a * sr[j + half]))
                }
            }
        }
        return out
    }
}
