import Foundation
import Testing
import CVTPKernels
@testable import VTPTensor

/// Forward results against naive reference loops written in the test (Double accumulation).
@Suite struct ForwardTests {
    func naiveMatmul(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += Double(a[i * k + p]) * Double(b[p * n + j]) }
            c[i * n + j] = Float(s)
        } }
        return c
    }

    @Test func matmulMatchesNaive() {
        let a = randn([37, 19], seed: 1), b = randn([19, 23], seed: 2)
        let ref = naiveMatmul(a.scalars, b.scalars, m: 37, k: 19, n: 23)
        #expect(maxAbsDifference(a.matmul(b), ref) < 1e-4)
        #expect(maxAbsDifference(a.transposed().matmul(b, transposeA: true), ref) < 1e-4)
        #expect(maxAbsDifference(a.matmul(b.transposed(), transposeB: true), ref) < 1e-4)
        // bf16 inputs: error of the order of 2^-8 relative per product.
        let bf = MatmulMode.with(.bf16) { a.matmul(b) }
        let err = maxAbsDifference(bf, ref)
        #expect(err > 0 && err < 0.15)
    }

    @Test func linearAddsBias() {
        let x = randn([4, 3], seed: 3), w = randn([5, 3], seed: 4), b = randn([5], seed: 5)
        let ref = naiveMatmul(x.scalars, w.transposed().scalars, m: 4, k: 3, n: 5)
        let refB = (0..<20).map { ref[$0] + b.scalars[$0 % 5] }
        #expect(maxAbsDifference(x.linear(w, b), refB) < 1e-5)
    }

    @Test func conv2dMatchesNaive() {
        let x = randn([2, 3, 9, 8], seed: 6), w = randn([4, 3, 3, 2], seed: 7), b = randn([4], seed: 8)
        let y = x.conv2d(w, b, stride: 2, padding: 1)
        let (oh, ow) = ((9 + 2 - 3) / 2 + 1, (8 + 2 - 2) / 2 + 1)
        #expect(y.shape == [2, 4, oh, ow])
        var maxErr: Float = 0
        for n in 0..<2 { for o in 0..<4 { for oy in 0..<oh { for ox in 0..<ow {
            var s = Double(b.data[o])
            for c in 0..<3 { for ky in 0..<3 { for kx in 0..<2 {
                let iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx
                if iy < 0 || iy >= 9 || ix < 0 || ix >= 8 { continue }
                s += Double(x.data[((n * 3 + c) * 9 + iy) * 8 + ix]) * Double(w.data[((o * 3 + c) * 3 + ky) * 2 + kx])
            } } }
            maxErr = max(maxErr, abs(Float(s) - y.data[((n * 4 + o) * oh + oy) * ow + ox]))
        } } } }
        #expect(maxErr < 1e-4)
    }

    @Test func pixelShuffleLayout() {
        // out[b, c, y·r+i, x·r+j] = in[b, c·r² + i·r + j, y, x]
        let x = Tensor((0..<(2 * 8 * 2 * 3)).map(Float.init), shape: [2, 8, 2, 3])
        let y = x.pixelShuffle(2)
        #expect(y.shape == [2, 2, 4, 6])
        for b in 0..<2 { for c in 0..<2 { for yy in 0..<4 { for xx in 0..<6 {
            let (i, j, y0, x0) = (yy % 2, xx % 2, yy / 2, xx / 2)
            let src = x.data[((b * 8 + c * 4 + i * 2 + j) * 2 + y0) * 3 + x0]
            #expect(y.data[((b * 2 + c) * 4 + yy) * 6 + xx] == src)
        } } } }
        #expect(maxAbsDifference(y.pixelUnshuffle(2), x) == 0)
    }

    func naiveAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor?, causal: Bool) -> Tensor {
        let (bh, nq, d, nk) = (q.shape[0] * q.shape[1], q.shape[2], q.shape[3], k.shape[2])
        let out = Tensor.zeros(q.shape)
        let scale = 1 / Double(d).squareRoot()
        for h in 0..<bh { for i in 0..<nq {
            var s = [Double](repeating: 0, count: nk)
            for j in 0..<nk {
                var acc = 0.0
                for t in 0..<d { acc += Double(q.data[(h * nq + i) * d + t]) * Double(k.data[(h * nk + j) * d + t]) }
                s[j] = acc * scale + Double(mask?.data[i * nk + j] ?? 0)
                if causal && j > i { s[j] = -.infinity }
            }
            let mx = s.max()!
            let e = s.map { Foundation.exp($0 - mx) }, z = e.reduce(0, +)
            for t in 0..<d {
                var acc = 0.0
                for j in 0..<nk { acc += e[j] / z * Double(v.data[(h * nk + j) * d + t]) }
                out.data[(h * nq + i) * d + t] = Float(acc)
            }
        } }
        return out
    }

    @Test func attentionMatchesNaive() {
        let q = randn([2, 3, 7, 8], seed: 9), k = randn([2, 3, 11, 8], seed: 10), v = randn([2, 3, 11, 8], seed: 11)
        let mask = randn([7, 11], seed: 12)
        #expect(maxAbsDifference(Tensor.attention(q: q, k: k, v: v), naiveAttention(q, k, v, mask: nil, causal: false)) < 1e-5)
        #expect(maxAbsDifference(Tensor.attention(q: q, k: k, v: v, mask: mask), naiveAttention(q, k, v, mask: mask, causal: false)) < 1e-5)
        let k7 = randn([2, 3, 7, 8], seed: 13), v7 = randn([2, 3, 7, 8], seed: 14)
        #expect(maxAbsDifference(Tensor.attention(q: q, k: k7, v: v7, causal: true), naiveAttention(q, k7, v7, mask: nil, causal: true)) < 1e-5)
    }

    @Test func attentionBlocksQueriesWhenScoresExceedBudget() { AttentionHeads.batchedOnly {
        // The batched path with several query blocks: results must equal the one-block computation.
        let q = randn([1, 2, 33, 8], seed: 15), k = randn([1, 2, 33, 8], seed: 16), v = randn([1, 2, 33, 8], seed: 17)
        let full = Tensor.attention(q: q, k: k, v: v, causal: true)
        let saved = AttentionKernels.scoreBudget
        AttentionKernels.scoreBudget = 2 * 33 * 5  // 5 query rows per block
        defer { AttentionKernels.scoreBudget = saved }
        #expect(AttentionKernels.blockRows(bh: 2, nq: 33, nk: 33) == 5)
        #expect(maxAbsDifference(Tensor.attention(q: q, k: k, v: v, causal: true), full) < 1e-6)
        checkGradients("attention in blocks", [q, k, v]) { Tensor.attention(q: $0[0], k: $0[1], v: $0[2], causal: true) }
    } }

    /// The head-at-a-time path (each thread of the team takes whole heads) and the batched path agree, values and
    /// gradients, with several query blocks, a mask and causal masking, in F32 and (where the CPU has it) native BF16.
    @Test func headParallelAttentionEqualsBatchedPath() {
        let shape = [2, 8, 33, 8]
        let q = randn(shape, seed: 51), k = randn(shape, seed: 52), v = randn(shape, seed: 53), g = randn(shape, seed: 54)
        let mask = randn([33, 33], seed: 55)
        #expect(AttentionHeads.applies(bh: 16) || Parallel.threadCount > 16 || vtp_omp_available() == 0)
        let savedBudget = AttentionHeads.blockBudget
        AttentionHeads.blockBudget = 33 * 10  // 10 query rows per block: 4 blocks per head
        defer { AttentionHeads.blockBudget = savedBudget }
        #expect(AttentionHeads.blockRows(nq: 33, nk: 33) == 9, "33 rows in 4 balanced blocks")
        func run(heads: Bool, bf16: Bool, mask: Tensor?, causal: Bool) -> [Tensor] {
            let (ql, kl, vl) = (q.requiringGrad(), k.requiringGrad(), v.requiringGrad())
            let body = {
                MatmulMode.with(bf16 ? .bf16 : .f32) { () -> [Tensor] in
                    let o = Tensor.attention(q: ql, k: kl, v: vl, mask: mask, causal: causal)
                    let grads = (o * g).sum().backward()
                    return [o.detached(), grads[ql]!, grads[kl]!, grads[vl]!]
                }
            }
            return heads ? body() : AttentionHeads.batchedOnly(body)
        }
        for bf16 in BF16Backend.isNativeAvailable ? [false, true] : [false] {
            for (m, causal) in [(nil, false), (mask, false), (nil, true)] as [(Tensor?, Bool)] {
                let a = run(heads: true, bf16: bf16, mask: m, causal: causal), b = run(heads: false, bf16: bf16, mask: m, causal: causal)
                for (name, (x, y)) in zip(["out", "dq", "dk", "dv"], zip(a, b)) {
                    #expect(maxAbsDifference(x, y) < 2e-5, "\(name) bf16 \(bf16) mask \(m != nil) causal \(causal)")
                }
            }
        }
    }

    /// Attention from a fused projection equals split → packed attention → merge, values and gradients: every RoPE
    /// variant (half-split with a prefix, PyTorch-BF16 rotation, interleaved), masks, causal, F32 and native BF16,
    /// on the head-at-a-time path and on its batched fallback.
    @Test func fusedQKVAttentionEqualsSplitPackedMerge() {
        let (b, heads, n, d) = (2, 4, 9, 8)
        let qkv = randn([b, n, 3 * heads * d], seed: 61), g = randn([b, n, heads * d], seed: 62)
        let ang = randn([n - 1, d], seed: 63), mask = randn([n, n], seed: 64)
        let sin = Tensor(ang.scalars.map { Foundation.sin($0) }, shape: [n - 1, d])
        let cos = Tensor(ang.scalars.map { Foundation.cos($0) }, shape: [n - 1, d])
        let ropes: [HeadRope?] = [nil, HeadRope(sin: sin, cos: cos, prefix: 1), HeadRope(sin: sin, cos: cos, prefix: 1, bf16: true),
                                  HeadRope(sin: sin, cos: cos, prefix: 1, interleaved: true)]
        func grads(_ f: (Tensor) -> Tensor) -> [Tensor] {
            let x = qkv.requiringGrad()
            let o = f(x)
            return [o.detached(), (o * g).sum().backward()[x]!]
        }
        for bf16 in BF16Backend.isNativeAvailable ? [false, true] : [false] {
            for rope in ropes {
                for (m, causal) in [(nil, false), (mask, false), (nil, true)] as [(Tensor?, Bool)] {
                    let reference = MatmulMode.with(bf16 ? .bf16 : .f32) {
                        grads { x in
                            let packed = x.splitHeads(heads, rope: rope.map { ($0.sin, $0.cos, $0.prefix, $0.bf16) },
                                                      interleaved: rope?.interleaved ?? false)
                            return Tensor.attention(packed: packed, mask: m, causal: causal).permuted([0, 2, 1, 3]).reshaped([b, n, heads * d])
                        }
                    }
                    for headPath in [true, false] {
                        let run = { MatmulMode.with(bf16 ? .bf16 : .f32) { grads { Tensor.attention(qkv: $0, heads: heads, rope: rope, mask: m, causal: causal) } } }
                        let fused = headPath ? run() : AttentionHeads.batchedOnly(run)
                        for (name, (x, y)) in zip(["out", "dqkv"], zip(fused, reference)) {
                            #expect(maxAbsDifference(x, y) < 2e-5, "\(name) bf16 \(bf16) rope \(rope.map { "\($0.bf16) \($0.interleaved)" } ?? "none") mask \(m != nil) causal \(causal) head path \(headPath)")
                        }
                    }
                }
            }
        }
    }

    @Test func attentionOn4096TokensStaysLinearInMemory() {
        // One image of 1024×1024 at patch 16 = 4096 tokens; an N×N score matrix per head (16 heads) would be 1 GiB.
        let (h, n, d) = (16, 4096, 64)
        let q = randn([1, h, n, d], seed: 18, scale: 0.1), k = randn([1, h, n, d], seed: 19, scale: 0.1)
        let v = randn([1, h, n, d], seed: 20)
        let out = Tensor.attention(q: q, k: k, v: v)
        #expect(out.shape == [1, h, n, d])
        // The score buffer is the only N-dependent allocation: one block of query rows for all heads. (Measuring
        // the allocator's peak here would count other tests running in parallel.)
        let rows = AttentionKernels.blockRows(bh: h, nq: n, nk: n)
        let scoreBytes = rows * h * n * 4
        #expect(rows < n, "queries are processed in blocks")
        #expect(scoreBytes <= 64 << 20, "score block \(scoreBytes >> 20) MiB")
        #expect(scoreBytes < h * n * n * 4 / 8, "far below an N×N matrix per head")
        // Spot-check a few rows against the naive formula.
        let rowCheck = naiveAttention(q.slice(axis: 2, 0..<2).slice(axis: 1, 0..<1), k.slice(axis: 1, 0..<1),
                                      v.slice(axis: 1, 0..<1), mask: nil, causal: false)
        #expect(maxAbsDifference(out.slice(axis: 2, 0..<2).slice(axis: 1, 0..<1), rowCheck) < 1e-4)
    }

    @Test func normsMatchFormula() {
        let x = randn([3, 10], seed: 21, scale: 3) + 2, w = randn([10], seed: 22), b = randn([10], seed: 23)
        let ln = x.layerNorm(weight: w, bias: b, eps: 1e-5), rms = x.rmsNorm(weight: w, eps: 1e-5)
        for r in 0..<3 {
            let row = (0..<10).map { Double(x.data[r * 10 + $0]) }
            let mu = row.reduce(0, +) / 10
            let v = row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 10
            let ms = row.map { $0 * $0 }.reduce(0, +) / 10
            for j in 0..<10 {
                let e1 = (row[j] - mu) / (v + 1e-5).squareRoot() * Double(w.data[j]) + Double(b.data[j])
                let e2 = row[j] / (ms + 1e-5).squareRoot() * Double(w.data[j])
                #expect(abs(Double(ln.data[r * 10 + j]) - e1) < 1e-5)
                #expect(abs(Double(rms.data[r * 10 + j]) - e2) < 1e-5)
            }
        }
    }

    @Test func softmaxAndCrossEntropyKnownAnswers() {
        // softmax([0, ln 3]) = [1/4, 3/4]; CE with target 1 = −ln(3/4).
        let x = Tensor([0, Foundation.log(3)], shape: [1, 2])
        #expect(maxAbsDifference(x.softmax(), [0.25, 0.75]) < 1e-6)
        #expect(abs(x.crossEntropy(targets: [1]).item - Float(-Foundation.log(0.75))) < 1e-6)
        let masked = Tensor([1, -.infinity, 2], shape: [1, 3]).softmax()
        #expect(masked.data[1] == 0)
    }

    @Test func vectorMathAccuracy() {
        var worstExp: Double = 0, worstErf: Double = 0, worstTanh: Double = 0
        for i in 0..<20001 {
            let x = Float(i - 10000) / 1000  // −10 … 10
            let e = Double(VectorMath.exp(x)), ref = Foundation.exp(Double(x))
            worstExp = max(worstExp, abs(e - ref) / ref)
            worstErf = max(worstErf, abs(Double(VectorMath.erf(x)) - Foundation.erf(Double(x))))
            worstTanh = max(worstTanh, abs(Double(VectorMath.tanh(x)) - Foundation.tanh(Double(x))))
        }
        #expect(worstExp < 5e-7)
        #expect(worstErf < 5e-7)
        #expect(worstTanh < 3e-7)
        #expect(VectorMath.exp(-100) == 0)
    }

    @Test func broadcastingShapesAndValues() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]), col = Tensor([10, 20], shape: [2, 1])
        #expect((a + col).scalars == [11, 12, 13, 24, 25, 26])
        let row = Tensor([1, 0, -1], shape: [3])
        #expect((a * row).scalars == [1, 0, -3, 4, 0, -6])
        let mid = Tensor([1, 2], shape: [2, 1, 1]), c = Tensor.ones([1, 2, 2])
        #expect((mid + c).shape == [2, 2, 2])
        #expect((mid + c).scalars == [2, 2, 2, 2, 3, 3, 3, 3])
        #expect(a.sum(axis: 0).scalars == [5, 7, 9])
        #expect(a.sum(axis: 1, keepDims: true).shape == [2, 1])
        #expect(a.mean().item == 3.5)
    }

    @Test func shapeOpsValues() {
        let a = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let p = a.permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        #expect(p.data[1 * 6 + 1 * 3 + 2] == a.data[1 * 12 + 2 * 4 + 1])
        let s = a.slice(axis: 1, 1..<3)
        #expect(s.shape == [2, 2, 4] && s.data[0] == 4)
        #expect(Tensor.concat(a.split([1, 2], axis: 1), axis: 1).scalars == a.scalars)
        let g = Tensor([0, 1, 10, 11, 20, 21], shape: [3, 2]).gatherRows([2, 0])
        #expect(g.scalars == [20, 21, 0, 1])
    }
}
