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
        var (out, lse) = AttentionKernels.forward(q: q.data, k: k.data, v: v.data, bh: b * h, nq: nq, nk: nk, d: d, scale: s,
                                                  mask: mask, causal: causal, owners: (q.storage, k.storage, v.storage))
        out = out.reshaped([b, h, nq, d])
        let saved = out
        record(&out, [q, k, v], .attention(q: q.detached(), k: k.detached(), v: v.detached(), out: saved,
                                           lse: lse, mask: mask?.detached(), causal: causal, scale: s))
        return out
    }

    /// Rotary embedding: out = x·cos + rotate_half(x)·sin. Half-split pairs by default, rotate_half([x₁|x₂]) =
    /// [−x₂|x₁] (DINOv3); `interleaved` pairs (2k, 2k+1) as EVA-02 / LightningDiT, rotate_half(x)[2k] = −x[2k+1],
    /// rotate_half(x)[2k+1] = x[2k].
    ///
    /// - Parameters:
    ///   - self: [B, H, N, d]; the first `prefix` tokens are not rotated.
    ///   - sin, cos: [N − prefix, d] tables.
    ///   - bf16: emulate PyTorch running the rotation in bfloat16: x, each product and the sum are rounded
    ///     to bf16 (prefix tokens are rounded too). The gradient treats rounding as the identity.
    public func rope(sin: Tensor, cos: Tensor, prefix: Int = 0, bf16: Bool = false, interleaved: Bool = false) -> Tensor {
        let (n, d) = (shape[2], shape[3])
        precondition(rank == 4 && d % 2 == 0 && sin.shape == [n - prefix, d] && cos.shape == sin.shape,
                     "rope: x \(shape) needs sin/cos [\(n - prefix), \(d)], got \(sin.shape), \(cos.shape)")
        var out = RopeKernels.apply(self, sin: sin, cos: cos, prefix: prefix, bf16: bf16, interleaved: interleaved,
                                    inverse: false)
        Tensor.record(&out, [self], .rope(sin: sin.detached(), cos: cos.detached(), prefix: prefix, interleaved: interleaved))
        return out
    }
}

extension Tensor {
    /// Splits a fused projection into heads, optionally rotating q and k: [B, N, 3·H·d] → packed [3, B, H, N, d]
    /// (q, k, v). One pass instead of permute + split + two rotations.
    /// - Parameters:
    ///   - rope: (sin, cos) [N − prefix, d], the prefix length, and whether to emulate bf16 (see `rope`).
    ///   - interleaved: rotate interleaved pairs (2k, 2k+1) instead of half-split ones (see `rope`).
    public func splitHeads(_ heads: Int, rope: (sin: Tensor, cos: Tensor, prefix: Int, bf16: Bool)? = nil,
                           interleaved: Bool = false) -> Tensor {
        precondition(rank == 3 && shape[2] % (3 * heads) == 0, "splitHeads: expected [B, N, 3·H·d], got \(shape) with \(heads) heads")
        let n = shape[1]
        let d = shape[2] / (3 * heads)
        if let rope { precondition(rope.sin.shape == [n - rope.prefix, d], "splitHeads: rope tables \(rope.sin.shape) ≠ [\(n - rope.prefix), \(d)]") }
        var out = HeadKernels.split(self, heads: heads, d: d, rope: rope, interleaved: interleaved, inverse: false)
        Tensor.record(&out, [self], .splitHeads(heads: heads, sin: rope?.sin, cos: rope?.cos, prefix: rope?.prefix ?? 0,
                                                interleaved: interleaved))
        return out
    }

    /// Attention over a packed [3, B, H, N, d] tensor (q, k, v from `splitHeads`) → [B, H, N, d].
    public static func attention(packed: Tensor, mask: Tensor? = nil, causal: Bool = false, scale: Float? = nil) -> Tensor {
        precondition(packed.rank == 5 && packed.shape[0] == 3, "attention(packed:): expected [3, B, H, N, d], got \(packed.shape)")
        let (b, h, n, d) = (packed.shape[1], packed.shape[2], packed.shape[3], packed.shape[4])
        if let mask { precondition(mask.shape == [n, n], "attention: mask \(mask.shape) ≠ [\(n), \(n)]") }
        let s = scale ?? 1 / Float(d).squareRoot()
        let stride = b * h * n * d
        let p = packed.data
        var (out, lse) = AttentionKernels.forward(q: p, k: p + stride, v: p + 2 * stride, bh: b * h, nq: n, nk: n, d: d,
                                                  scale: s, mask: mask, causal: causal,
                                                  owners: (packed.storage, packed.storage, packed.storage))
        out = out.reshaped([b, h, n, d])
        let saved = out
        record(&out, [packed], .packedAttention(packed: packed.detached(), out: saved, lse: lse, mask: mask?.detached(),
                                                 causal: causal, scale: s))
        return out
    }
}

/// Rotary tables for the q and k heads of a fused projection (see `Tensor.attention(qkv:heads:rope:mask:causal:scale:)`).
public struct HeadRope: @unchecked Sendable {
    /// [N − prefix, d] tables; the first `prefix` tokens are not rotated.
    public let sin: Tensor, cos: Tensor, prefix: Int
    /// PyTorch's BF16 rotation (see `Tensor.rope`); the gradient treats the rounding as the identity.
    public let bf16: Bool
    /// Interleaved pairs (2k, 2k+1) instead of half-split ones.
    public let interleaved: Bool

    public init(sin: Tensor, cos: Tensor, prefix: Int = 0, bf16: Bool = false, interleaved: Bool = false) {
        (self.sin, self.cos, self.prefix, self.bf16, self.interleaved) = (sin, cos, prefix, bf16, interleaved)
    }

    var tables: (sin: Tensor, cos: Tensor, prefix: Int, bf16: Bool) { (sin, cos, prefix, bf16) }

    var kernel: AttentionHeads.Layout.Rope {
        .init(sin: sin.data, cos: cos.data, prefix: prefix, bf16: bf16, interleaved: interleaved)
    }
}

extension Tensor {
    /// Attention straight from a fused projection, heads merged in the output: qkv [B, N, 3·H·d] (per token
    /// [3, H, d]: q, k, v) → [B, N, H·d], q and k rotated by `rope`. The same as
    /// `attention(packed: qkv.splitHeads(heads, rope:, interleaved:))` permuted to [B, N, H, d], but where heads run
    /// one at a time (`AttentionHeads`) each is read in place: no split, merge or BF16 copies of whole tensors.
    public static func attention(qkv: Tensor, heads: Int, rope: HeadRope? = nil, mask: Tensor? = nil, causal: Bool = false,
                                 scale: Float? = nil) -> Tensor {
        precondition(qkv.rank == 3 && heads > 0 && qkv.shape[2] % (3 * heads) == 0,
                     "attention(qkv:): expected [B, N, 3·H·d], got \(qkv.shape) with \(heads) heads")
        let (b, n, d) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / (3 * heads))
        if let rope {
            precondition(rope.sin.shape == [n - rope.prefix, d] && rope.cos.shape == rope.sin.shape,
                         "attention(qkv:): rope tables \(rope.sin.shape), \(rope.cos.shape) ≠ [\(n - rope.prefix), \(d)]")
        }
        if let mask { precondition(mask.shape == [n, n], "attention: mask \(mask.shape) ≠ [\(n), \(n)]") }
        let s = scale ?? 1 / Float(d).squareRoot()
        let w = heads * d
        var out = Tensor(uninitialized: [b, n, w])
        let lse = Tensor(uninitialized: [b * heads, n])
        let p = qkv.data
        let layout = AttentionHeads.Layout.fused(b: b, heads: heads, n: n, d: d, rope: rope?.kernel)
        let headPath = AttentionHeads.applies(bh: b * heads)
        // BF16 mode: the rotated, rounded heads are kept for the backward pass (as many bytes as a BF16 copy of qkv).
        let recording = GradMode.isEnabled && qkv.node != nil
        let keep = headPath && recording && MatmulMode.current == .bf16 && BF16Backend.current == .native
        let kept = keep ? Tensor(uninitialized: [(layout.keptCount + 1) / 2]) : nil
        // The heads are merged in place for the output projection: its BF16 copy is made as the heads finish.
        let ran = headPath && withExtendedLifetime(rope) {
            AttentionHeads.forward(q: p, k: p + w, v: p + 2 * w, layout: layout, out: out.data, lse: lse.data, scale: s, mask: mask,
                                   causal: causal, keep: kept.map { UnsafeMutableRawPointer($0.data).assumingMemoryBound(to: UInt16.self) },
                                   outHalf: BF16Copies.epilogue(for: out))
        }
        guard ran else {
            let packed = qkv.splitHeads(heads, rope: rope?.tables, interleaved: rope?.interleaved ?? false)
            return attention(packed: packed, mask: mask, causal: causal, scale: s).permuted([0, 2, 1, 3]).reshaped([b, n, w])
        }
        let saved = out
        record(&out, [qkv], .qkvAttention(qkv: qkv.detached(), out: saved, lse: lse, heads: heads, rope: rope,
                                          mask: mask?.detached(), causal: causal, scale: s, kept: kept))
        return out
    }
}

extension AttentionKernels {
    /// The gradient of `Tensor.attention(qkv:…)` with respect to qkv [B, N, 3·H·d], from dOut [B, N, H·d].
    /// `kept`: the BF16 heads a BF16 forward pass kept (see `AttentionHeads.Layout.keptCount`).
    static func qkvBackward(dOut: Tensor, qkv: Tensor, out: Tensor, lse: Tensor, heads: Int, rope: HeadRope?, mask: Tensor?,
                            causal: Bool, scale: Float, kept: Tensor?) -> Tensor {
        let (b, n, d) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / (3 * heads))
        let w = heads * d
        let dqkv = Tensor(uninitialized: qkv.shape)
        let (p, dp) = (qkv.data, dqkv.data)
        // dqkv is the output gradient of the qkv projection: its BF16 copy is made as the heads finish.
        let half = AttentionHeads.applies(bh: b * heads) ? BF16Copies.epilogue(for: dqkv) : nil
        let ran = withExtendedLifetime(rope) {
            AttentionHeads.backward(dOut: dOut.data, q: p, k: p + w, v: p + 2 * w, out: out.data, lse: lse.data,
                                    layout: .fused(b: b, heads: heads, n: n, d: d, rope: rope?.kernel), scale: scale, mask: mask,
                                    causal: causal, dq: dp, dk: dp + w, dv: dp + 2 * w,
                                    kept: kept.map { UnsafeRawPointer($0.data).assumingMemoryBound(to: UInt16.self) },
                                    gradHalf: half.map { ($0, $0 + w, $0 + 2 * w) })
        }
        if ran { return dqkv }
        // The batched path: split the heads, take the packed gradient, merge it back.
        let interleaved = rope?.interleaved ?? false
        let packed = HeadKernels.split(qkv, heads: heads, d: d, rope: rope?.tables, interleaved: interleaved, inverse: false)
        let (g, o) = withNoGrad {
            (dOut.reshaped([b, n, heads, d]).permuted([0, 2, 1, 3]), out.reshaped([b, n, heads, d]).permuted([0, 2, 1, 3]))
        }
        let stride = b * heads * n * d
        let dpacked = Tensor(uninitialized: packed.shape)
        let (pp, dpp) = (packed.data, dpacked.data)
        backward(dOut: g, q: pp, k: pp + stride, v: pp + 2 * stride, owners: (packed.storage, packed.storage, packed.storage),
                 out: o, lse: lse, bh: b * heads, nq: n, nk: n, d: d, scale: scale, mask: mask, causal: causal,
                 dq: dpp, dk: dpp + stride, dv: dpp + 2 * stride)
        let unrotate = rope.map { ($0.sin, $0.cos, $0.prefix, false) }
        return HeadKernels.split(dpacked, heads: heads, d: d, rope: unrotate, interleaved: interleaved, inverse: true)
    }
}

/// The head split of `splitHeads` and its adjoint.
enum HeadKernels {
    /// Forward: [B, N, 3, H, d] → [3, B, H, N, d] with q, k rotated. Inverse (`inverse`): the adjoint, from a packed
    /// gradient back to [B, N, 3·H·d] with the transposed rotation.
    static func split(_ x: Tensor, heads: Int, d: Int, rope: (sin: Tensor, cos: Tensor, prefix: Int, bf16: Bool)?,
                      interleaved: Bool = false, inverse: Bool) -> Tensor {
        let (b, n) = inverse ? (x.shape[1], x.shape[3]) : (x.shape[0], x.shape[1])
        let out = inverse ? Tensor(uninitialized: [b, n, 3 * heads * d]) : Tensor(uninitialized: [3, b, heads, n, d])
        let (src, dst) = (x.data, out.data)
        let prefix = rope?.prefix ?? 0, bf16 = rope?.bf16 ?? false
        let (ps, pc) = (rope?.sin.data, rope?.cos.data)
        // One task per (b, token): reads/writes 3·H rows of d.
        Parallel.forEach(b * n, grain: 16) { bt in
            let bi = bt / n, t = bt % n
            for which in 0..<3 {
                for h in 0..<heads {
                    let packedRow = (((which * b + bi) * heads + h) * n + t) * d
                    let fusedRow = (bt * 3 + which) * heads * d + h * d
                    let (from, to) = inverse ? (src + packedRow, dst + fusedRow) : (src + fusedRow, dst + packedRow)
                    guard which < 2, rope != nil else {
                        to.update(from: from, count: d)
                        continue
                    }
                    let table = t < prefix ? nil : (t - prefix) * d
                    RopeKernels.rotateRow(from, to, d: d, sin: table.map { ps! + $0 }, cos: table.map { pc! + $0 },
                                          bf16: bf16, interleaved: interleaved, inverse: inverse)
                }
            }
        }
        return out
    }
}

enum RopeKernels {
    /// Forward rotation, or (`inverse`) its transpose: dx = dy·cos + rotate_halfᵀ(dy·sin), rotate_halfᵀ([a|b]) = [b|−a]
    /// (interleaved: rotate_halfᵀ(y)[2k] = y[2k+1], rotate_halfᵀ(y)[2k+1] = −y[2k]).
    static func apply(_ x: Tensor, sin: Tensor, cos: Tensor, prefix: Int, bf16: Bool, interleaved: Bool = false,
                      inverse: Bool) -> Tensor {
        let (n, d) = (x.shape[2], x.shape[3])
        let out = Tensor(uninitialized: x.shape)
        let rows = x.count / d
        let (px, po, ps, pc) = (x.data, out.data, sin.data, cos.data)
        Parallel.forEach(rows, grain: 64) { row in
            let t = row % n
            let table = t < prefix ? nil : (t - prefix) * d
            rotateRow(px + row * d, po + row * d, d: d, sin: table.map { ps + $0 }, cos: table.map { pc + $0 },
                      bf16: bf16, interleaved: interleaved, inverse: inverse)
        }
        return out
    }

    /// One row of d values: out = x·cos + rotate_half(x)·sin (or, `inverse`, the transpose). Without tables (a
    /// prefix token) the row is only copied (rounded to bf16 in `bf16` mode, as PyTorch casts every q/k row).
    @inline(__always) static func rotateRow(_ x: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, d: Int,
                                            sin sr: UnsafePointer<Float>?, cos cr: UnsafePointer<Float>?,
                                            bf16: Bool, interleaved: Bool = false, inverse: Bool) {
        @inline(__always) func r(_ v: Float) -> Float { bf16 ? BF16Kernels.round(v) : v }
        guard let sr, let cr else {
            for j in 0..<d { o[j] = r(x[j]) }
            return
        }
        if interleaved {
            // Pair (i, j) = (2k, 2k+1): o_i = a·cos_i − b·sin_i, o_j = b·cos_j + a·sin_j.
            for i in stride(from: 0, to: d, by: 2) {
                let j = i + 1, a = r(x[i]), b = r(x[j])
                if inverse {
                    o[i] = a * cr[i] + b * sr[j]
                    o[j] = b * cr[j] - a * sr[i]
                } else {
                    o[i] = r(r(a * cr[i]) + r(-b * sr[i]))
                    o[j] = r(r(b * cr[j]) + r(a * sr[j]))
                }
            }
            return
        }
        let half = d / 2
        var start = 0
        if !bf16 {
            // F32 half-split pairs, 16 at a time: o = a·cos − b·sin, o' = b·cos' + a·sin' (inverse: the transpose).
            while start + 16 <= half {
                let (j, k) = (start, start + half)
                let a = load(x + j), b = load(x + k)
                if inverse {
                    store(a * load(cr + j) + b * load(sr + k), o + j)
                    store(b * load(cr + k) - a * load(sr + j), o + k)
                } else {
                    store(a * load(cr + j) - b * load(sr + j), o + j)
                    store(b * load(cr + k) + a * load(sr + k), o + k)
                }
                start += 16
            }
        }
        for j in start..<half {
            let a = r(x[j]), b = r(x[j + half])
            if inverse {
                o[j] = a * cr[j] + b * sr[j + half]
                o[j + half] = b * cr[j + half] - a * sr[j]
            } else {
                o[j] = r(r(a * cr[j]) + r(-b * sr[j]))
                o[j + half] = r(r(b * cr[j + half]) + r(a * sr[j + half]))
            }
        }
    }
}
