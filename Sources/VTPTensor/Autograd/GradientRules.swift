/// The one table of derivative rules: for each op, the gradients of its inputs given the output gradient `g`
/// (vector-Jacobian products). Rules run with recording off and return `nil` for inputs without a gradient.
/// `needs[i]` says whether input i wants a gradient (false for constants and frozen weights): the matrix-product
/// rules and the elementwise product skip the products nobody reads; the others compute every input's gradient,
/// which is then dropped.
enum GradientRules {
    static func vjp(_ op: Op, _ g: Tensor, needs: [Bool] = []) -> [Tensor?] {
        func need(_ i: Int) -> Bool { i >= needs.count || needs[i] }
        switch op {
        case .leaf:
            return []
        // d(a+b) = g, g (summed over broadcast axes)
        case .add(let sa, let sb):
            return [BroadcastKernels.sumTo(g, sa), BroadcastKernels.sumTo(g, sb)]
        case .sub(let sa, let sb):
            return [BroadcastKernels.sumTo(g, sa), BroadcastKernels.sumTo(-g, sb)]
        // d(ab) = g·b, g·a
        case .mul(let a, let b):
            return [need(0) ? BroadcastKernels.sumTo(g * b, a.shape) : nil, need(1) ? BroadcastKernels.sumTo(g * a, b.shape) : nil]
        // d(a/b) = g/b, −g·a/b²
        case .div(let a, let b):
            let gb = g / b
            return [BroadcastKernels.sumTo(gb, a.shape), BroadcastKernels.sumTo(-(gb * a / b), b.shape)]
        case .addScalar:
            return [g]
        case .mulScalar(let s):
            return [g * s]
        // d xᵖ = p·xᵖ⁻¹
        case .powScalar(let x, let p):
            return [p == 2 ? g * x * 2 : g * x.pow(p - 1) * p]
        // d eˣ = eˣ ; d log x = 1/x ; d √x = 1/(2√x) ; d x^-½ = −½·x^-3/2 = −½·y³
        case .exp(let y):
            return [g * y]
        case .log(let x):
            return [g / x]
        case .sqrt(let y):
            return [Tensor.broadcastZip(g, y) { g, y in 0.5 * g / y }]
        case .rsqrt(let y):
            return [Tensor.broadcastZip(g, y) { g, y in -0.5 * g * y * y * y }]
        // d|x| = sign(x)
        case .abs(let x):
            return [Tensor.broadcastZip(g, x) { g, x in g.replacing(with: -g, where: x .< 0).replacing(with: 0, where: x .== 0) }]
        // dσ = σ(1−σ) ; d tanh = 1 − tanh²
        case .sigmoid(let y):
            return [Tensor.broadcastZip(g, y) { g, y in g * y * (1 - y) }]
        case .tanh(let y):
            return [Tensor.broadcastZip(g, y) { g, y in g * (1 - y * y) }]
        case .relu(let x):
            return [Tensor.broadcastZip(g, x) { g, x in g.replacing(with: 0, where: x .<= 0) }]
        case .silu(let x):
            return [Tensor.broadcastZip(g, x) { g, x in g * Activation.siluGrad(x) }]
        case .gelu(let x, let approximate):
            return [Activation.geluBackward(g, x, approximate: approximate)]
        case .leakyRelu(let x, let slope):
            return [Tensor.broadcastZip(g, x) { g, x in g.replacing(with: g * slope, where: x .< 0) }]
        case .clamp(let x, let lo, let hi):
            return [Tensor.broadcastZip(g, x) { g, x in g.replacing(with: 0, where: (x .< lo) .| (x .> hi)) }]
        // Σ: broadcast g back over the reduced axes
        case .sum(let inputShape, let kept):
            return [BroadcastKernels.expand(g.reshaped(kept), to: inputShape)]
        case .reshape(let s):
            return [g.reshaped(s)]
        case .permute(let order):
            var inverse = [Int](repeating: 0, count: order.count)
            for (i, o) in order.enumerated() { inverse[o] = i }
            return [g.permuted(inverse)]
        case .concat(let axis, let sizes):
            return g.split(sizes, axis: axis)
        case .slice(let axis, let start, let inputShape):
            return [SliceKernels.pad(g, axis: axis, start: start, to: inputShape)]
        case .gatherRows(let idx, let tableShape):
            return [Tensor.zeros(tableShape).scatterAddRows(idx, g)]
        case .scatterAddRows(let idx, let sourceShape):
            return [g, g.gatherRows(idx).reshaped(sourceShape)]
        case .expand(let s):
            return [BroadcastKernels.sumTo(g, s)]
        // picked elements receive the output gradient (summed where windows overlap)
        case .pick(let idx, let inputShape):
            let dx = Tensor.zeros(inputShape)
            for (o, i) in idx.enumerated() { dx.data[i] += g.data[o] }
            return [dx]
        // C = op(A)op(B): see Tensor.matmul for the four transpose cases
        case .matmul(let a, let b, let ta, let tb):
            let da = !need(0) ? nil : ta ? b.matmul(g, transposeA: tb, transposeB: true) : g.matmul(b, transposeB: !tb)
            guard need(1) else { return [da, nil] }
            let dbFull = tb ? g.matmul(a, transposeA: true, transposeB: ta) : a.matmul(g, transposeA: !ta)
            return [da, b.rank == 2 && dbFull.rank > 2 ? dbFull.sum(axes: Array(0..<(dbFull.rank - 2))) : dbFull]
        // y = x Wᵀ + b: dx = g W, dW = gᵀ x, db = Σ_rows g
        case .linear(let x, let w, let hasBias):
            let g2 = g.reshaped([-1, w.shape[0]]), x2 = x.reshaped([-1, w.shape[1]])
            let dx = need(0) ? g2.matmul(w).reshaped(x.shape) : nil
            let dw = need(1) ? g2.matmul(x2, transposeA: true) : nil
            return hasBias ? [dx, dw, g2.sum(axis: 0)] : [dx, dw]
        // oneDNN's backward-data and backward-weights convolution primitives.
        case .conv2d(let x, let w, let geo, let hasBias):
            let dx = need(0) ? ConvKernels.backwardData(g, weight: w, geo) : nil
            let (dw, db) = need(1) || (hasBias && need(2)) ? ConvKernels.backwardWeights(x, g, geo, bias: hasBias) : (nil, nil)
            return hasBias ? [dx, dw, db] : [dx, dw]
        // softmax: dx = y(g − Σ g·y) ; log-softmax: dx = g − eʸ Σ g
        case .softmax(let y):
            let gy = g * y
            return [gy - y * gy.sum(axis: -1, keepDims: true)]
        case .logSoftmax(let y):
            return [g - y.exp() * g.sum(axis: -1, keepDims: true)]
        case .norm(let x, let w, let hasBias, let mean, let rstd, let rms):
            let (dx, dw, db) = NormKernels.backward(g, x, weight: w, mean: mean, rstd: rstd, rms: rms, wantBias: hasBias)
            var out: [Tensor?] = [dx]
            if w != nil { out.append(dw) }
            if hasBias { out.append(db) }
            return out
        // silu(a)·b: da = g·b·silu'(a), db = g·silu(a)
        case .swiglu(let a, let b):
            let (da, db) = Activation.swigluBackward(g, a, b)
            return [da, db]
        case .swigluHalves(let x):
            return [Activation.swigluHalvesBackward(g, x)]
        // y = x/n: dx = (g − y Σ g·y)/n (n = max(‖x‖, eps); constant when clamped)
        case .l2Normalize(let y, let norms, let eps):
            let n = norms.reshaped(Array(y.shape.dropLast()) + [1])
            let dot = (g * y).sum(axis: -1, keepDims: true)
            let clampedRows = Tensor.map(n) { v in Vec(repeating: 1).replacing(with: 0, where: v .<= eps) }
            return [(g - y * dot * clampedRows) / n]
        // CE = mean(lse − x_t): dx = (softmax − onehot)·g/N
        case .crossEntropy(let logp, let targets):
            let c = logp.shape[1], scale = g.item / Float(max(targets.count, 1))
            let dx = logp.exp()
            for (i, t) in targets.enumerated() { dx.data[i * c + t] -= 1 }
            return [dx * scale]
        case .attention(let q, let k, let v, let out, let lse, let mask, let causal, let scale):
            let (b, h, nq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
            let dq = Tensor(uninitialized: q.shape), dk = Tensor(uninitialized: k.shape), dv = Tensor(uninitialized: v.shape)
            AttentionKernels.backward(dOut: g, q: q.data, k: k.data, v: v.data, owners: (q.storage, k.storage, v.storage),
                                      out: out, lse: lse, bh: b * h, nq: nq,
                                      nk: k.shape[2], d: d, scale: scale, mask: mask, causal: causal,
                                      dq: dq.data, dk: dk.data, dv: dv.data)
            return [dq, dk, dv]
        case .packedAttention(let packed, let out, let lse, let mask, let causal, let scale):
            let (b, h, n, d) = (packed.shape[1], packed.shape[2], packed.shape[3], packed.shape[4])
            let stride = b * h * n * d
            let dp = Tensor(uninitialized: packed.shape)
            let (p, dpp) = (packed.data, dp.data)
            AttentionKernels.backward(dOut: g, q: p, k: p + stride, v: p + 2 * stride,
                                      owners: (packed.storage, packed.storage, packed.storage), out: out, lse: lse, bh: b * h, nq: n,
                                      nk: n, d: d, scale: scale, mask: mask, causal: causal,
                                      dq: dpp, dk: dpp + stride, dv: dpp + 2 * stride)
            return [dp]
        case .qkvAttention(let qkv, let out, let lse, let heads, let rope, let mask, let causal, let scale, let kept):
            return [AttentionKernels.qkvBackward(dOut: g, qkv: qkv, out: out, lse: lse, heads: heads, rope: rope, mask: mask,
                                                 causal: causal, scale: scale, kept: kept)]
        case .splitHeads(let heads, let sin, let cos, let prefix, let interleaved):
            let rope = sin.map { ($0, cos!, prefix, false) }
            return [HeadKernels.split(g, heads: heads, d: g.shape[4], rope: rope, interleaved: interleaved, inverse: true)]
        case .rope(let sin, let cos, let prefix, let interleaved):
            return [RopeKernels.apply(g, sin: sin, cos: cos, prefix: prefix, bf16: false, interleaved: interleaved,
                                      inverse: true)]
        case .custom(_, let backward):
            return backward(g)
        }
    }
}

extension Tensor {
    /// Elementwise f(a, b, c) over equal shapes (no autograd record).
    static func map3(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ f: (Vec, Vec, Vec) -> Vec) -> Tensor {
        let out = Tensor(uninitialized: a.shape)
        Loop.zip3(a.count, a.data, b.data, c.data, out.data, f)
        return out
    }
}

enum SliceKernels {
    /// Zeros of `shape` with `g` written at `start` along `axis` (adjoint of slice).
    static func pad(_ g: Tensor, axis: Int, start: Int, to shape: [Int]) -> Tensor {
        let out = Tensor.zeros(shape)
        let outer = Shape.count(Array(shape[..<axis])), inner = Shape.count(Array(shape[(axis + 1)...]))
        let rowOut = shape[axis] * inner, rowIn = g.shape[axis] * inner
        let (s, d) = (g.data, out.data)
        Parallel.forEach(outer, grain: max(1, 16384 / max(rowIn, 1))) { o in
            (d + o * rowOut + start * inner).update(from: s + o * rowIn, count: rowIn)
        }
        return out
    }
}
