import CVTPKernels
import Foundation

/// Attention one head at a time, for calls with at least as many heads (batch × heads) as threads: every thread
/// of oneDNN's OpenMP team takes whole heads and runs their products (on that thread alone, through a
/// `OneDNN.withWorker` executor of its own), the softmax and the gradient rows back to back. A head's rows are
/// first staged in a scratch block of the thread (rotated by RoPE, rounded to BF16 for the BF16 products, as
/// needed), so heads can be read where they lie, e.g. inside a fused [B, N, 3·H·d] projection, with no split or
/// merge copies of whole tensors; its score blocks stay in the core's L2 cache, and no pool of threads hands over
/// to another between a product and the row pass that follows (the batched path in `AttentionKernels` does, four
/// to six times per query block).
///
/// Each entry returns nil / false, having done nothing, where the batched path must run: fewer heads than threads,
/// no OpenMP runtime, a caller already inside a team, or the emulated BF16 backend (numerics tests).
enum AttentionHeads {
    private static let offKey = "VTPTensor.AttentionHeads.off"

    /// Runs `body` with attention on this thread taking the batched path (tests compare the two).
    static func batchedOnly<R>(_ body: () throws -> R) rethrows -> R {
        let dict = Thread.current.threadDictionary
        dict[offKey] = true
        defer { dict[offKey] = nil }
        return try body()
    }

    /// Floats in one score block of one head (512 KiB: one block up to 362 tokens, e.g. the 257 of a ViT at 256²;
    /// the backward holds two: scores and their gradients).
    nonisolated(unsafe) static var blockBudget = 1 << 17

    /// Query rows per block: the budget split evenly over the fewest blocks that respect it.
    static func blockRows(nq: Int, nk: Int) -> Int {
        let blocks = max(1, (nq * nk + blockBudget - 1) / blockBudget)
        return max(1, (nq + blocks - 1) / blocks)
    }

    /// Whether a call with `bh` heads can take this path (in F32 or native BF16 arithmetic).
    static func applies(bh: Int) -> Bool {
        bh >= Parallel.threadCount && Thread.current.threadDictionary[offKey] == nil
            && (Parallel.threadCount == 1 || vtp_omp_available() != 0)
    }

    /// Whether the products run in BF16 (nil: this call takes the batched path).
    static func arithmetic(bh: Int) -> Bool? {
        guard applies(bh: bh) else { return nil }
        guard MatmulMode.current == .bf16 else { return false }
        switch BF16Backend.current {
        case .f32: BF16Backend.announceF32; return false
        case .emulated: return nil
        case .native: return true
        }
    }

    /// Where the rows of every head lie. Head i (of B·H, batch-major) has its query rows at `q + qOffset(i)`, `ldq`
    /// apart, its key and value rows at `k + kvOffset(i)` and `v + kvOffset(i)`, `ldkv` apart, and its output rows
    /// at `oOffset(i)`, `ldo` apart. Gradients use the offsets of what they differentiate. q and k rows are rotated
    /// by `rope` (tables [N − prefix, d]; `bf16`: PyTorch's BF16 rotation, see `Tensor.rope`) before use.
    struct Layout {
        var bh: Int, nq: Int, nk: Int, d: Int
        var ldq: Int, ldkv: Int, ldo: Int
        var qOffset: (Int) -> Int, kvOffset: (Int) -> Int, oOffset: (Int) -> Int
        var rope: Rope?

        var isEmpty: Bool { nq == 0 || nk == 0 || d == 0 }
        /// Query rows per score block.
        var queryBlock: Int { AttentionHeads.blockRows(nq: nq, nk: nk) }
        /// BF16 values a forward pass keeps per head: its staged q, then k, then v (offsets 0, `keptK`, `keptV`).
        var keptPerHead: Int { (nq + 2 * nk) * d }
        var keptK: Int { nq * d }
        var keptV: Int { (nq + nk) * d }
        /// BF16 values a forward pass keeps for all heads, so that each is rotated and rounded once per step.
        var keptCount: Int { bh * keptPerHead }

        struct Rope {
            let sin: UnsafePointer<Float>, cos: UnsafePointer<Float>, prefix: Int, bf16: Bool, interleaved: Bool
        }

        /// q [BH, Nq, d], k and v [BH, Nk, d], out [BH, Nq, d], dense.
        static func dense(bh: Int, nq: Int, nk: Int, d: Int) -> Layout {
            Layout(bh: bh, nq: nq, nk: nk, d: d, ldq: d, ldkv: d, ldo: d, qOffset: { $0 * nq * d },
                   kvOffset: { $0 * nk * d }, oOffset: { $0 * nq * d }, rope: nil)
        }

        /// A fused projection [B, N, 3, H, d] (q at +0, k at +H·d, v at +2·H·d of each token) and an output with the
        /// heads merged, [B, N, H, d].
        static func fused(b: Int, heads: Int, n: Int, d: Int, rope: Rope?) -> Layout {
            let w = heads * d
            return Layout(bh: b * heads, nq: n, nk: n, d: d, ldq: 3 * w, ldkv: 3 * w, ldo: w,
                          qOffset: { ($0 / heads) * n * 3 * w + ($0 % heads) * d }, kvOffset: { ($0 / heads) * n * 3 * w + ($0 % heads) * d },
                          oOffset: { ($0 / heads) * n * w + ($0 % heads) * d }, rope: rope)
        }

        /// Writes `rows` rows of one head (from `src`, `ld` apart) densely into `f32` and/or `bf16`, rotated when
        /// `rotate` (`row`: a row of scratch for rows that are only rounded).
        func stage(_ src: UnsafePointer<Float>, ld: Int, rows: Int, rotate: Bool, f32: UnsafeMutablePointer<Float>?,
                   bf16: UnsafeMutablePointer<UInt16>?, row: UnsafeMutablePointer<Float>) {
            for t in 0..<rows {
                let from = src + t * ld
                guard rotate, let rope else {
                    if let f32 { (f32 + t * d).update(from: from, count: d) }
                    if let bf16 { BF16Kernels.narrowSerial(from, bf16 + t * d, d) }
                    continue
                }
                let dst = f32.map { $0 + t * d } ?? row
                let table = t < rope.prefix ? nil : (t - rope.prefix) * d
                RopeKernels.rotateRow(from, dst, d: d, sin: table.map { rope.sin + $0 }, cos: table.map { rope.cos + $0 },
                                      bf16: rope.bf16, interleaved: rope.interleaved, inverse: false)
                if let bf16 { BF16Kernels.narrowSerial(dst, bf16 + t * d, d) }
            }
        }
    }

    /// One head's rows as a matrix-product operand: staged (F32 or BF16 scratch, leading dimension d) or in place.
    private struct Operand {
        let pointer: UnsafeRawPointer, ld: Int, bytes: Int
        func row(_ r: Int) -> UnsafeRawPointer { pointer + r * ld * bytes }
    }

    /// Scratch of one thread for one head: F32 rows for rotated q/k (F32 mode) and BF16 rows (BF16 mode).
    private final class Scratch {
        private var buffers: [Tensor] = []
        func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
            let t = Tensor(uninitialized: [max(n, 1)]); buffers.append(t); return t.data
        }
        func halves(_ n: Int) -> UnsafeMutablePointer<UInt16> {
            UnsafeMutableRawPointer(floats((n + 1) / 2)).bindMemory(to: UInt16.self, capacity: n)
        }
    }

    /// Stages q (rows 0..<nq), k or v of head `h` as needed and returns it as an operand. BF16 rows go to `into`
    /// when given (kept for the backward pass), else to scratch.
    private static func operand(_ base: UnsafePointer<Float>, offset: Int, ld: Int, rows: Int, rotate: Bool, bf16: Bool,
                                layout: Layout, scratch: Scratch, row: UnsafeMutablePointer<Float>,
                                into: UnsafeMutablePointer<UInt16>? = nil) -> Operand {
        let src = base + offset
        let d = layout.d
        if bf16 {
            let h = into ?? scratch.halves(rows * d)
            layout.stage(src, ld: ld, rows: rows, rotate: rotate, f32: nil, bf16: h, row: row)
            return Operand(pointer: UnsafeRawPointer(h), ld: d, bytes: 2)
        }
        guard rotate && layout.rope != nil else { return Operand(pointer: UnsafeRawPointer(src), ld: ld, bytes: 4) }
        let f = scratch.floats(rows * d)
        layout.stage(src, ld: ld, rows: rows, rotate: true, f32: f, bf16: nil, row: row)
        return Operand(pointer: UnsafeRawPointer(f), ld: d, bytes: 4)
    }

    /// Calls `body(q0, rows)` for the query blocks of `qb` rows covering 0..<nq.
    @inline(__always) private static func forEachBlock(_ nq: Int, _ qb: Int, _ body: (Int, Int) -> Void) {
        var q0 = 0
        while q0 < nq { body(q0, min(qb, nq - q0)); q0 += qb }
    }

    /// S = scale · Q_blk Kᵀ for query rows q0..<q0 + rows, [rows, Nk] into `into`.
    private static func scores(_ w: OneDNN, _ qo: Operand, _ ko: Operand, q0: Int, rows: Int, nk: Int, d: Int, scale: Float,
                               bf16: Bool, into: UnsafeMutablePointer<Float>) {
        w.run(key(m: rows, n: nk, k: d, lda: qo.ld, transB: true, ldb: ko.ld, ldc: nk, alpha: scale, bf16: bf16),
              a: qo.row(q0), b: ko.pointer, c: into, bias: nil)
    }

    /// Head `head`'s q, k and v as operands (q and k rotated); BF16 rows go to `into` when given (q, then k, then v).
    private static func headOperands(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, head h: Int,
                                     bf16: Bool, layout L: Layout, scratch: Scratch, row: UnsafeMutablePointer<Float>,
                                     into kept: UnsafeMutablePointer<UInt16>?) -> (Operand, Operand, Operand) {
        let nq = L.nq, nk = L.nk
        return (operand(q, offset: L.qOffset(h), ld: L.ldq, rows: nq, rotate: true, bf16: bf16, layout: L, scratch: scratch,
                        row: row, into: kept),
                operand(k, offset: L.kvOffset(h), ld: L.ldkv, rows: nk, rotate: true, bf16: bf16, layout: L, scratch: scratch,
                        row: row, into: kept.map { $0 + L.keptK }),
                operand(v, offset: L.kvOffset(h), ld: L.ldkv, rows: nk, rotate: false, bf16: bf16, layout: L, scratch: scratch,
                        row: row, into: kept.map { $0 + L.keptV }))
    }

    private static func key(m: Int, n: Int, k: Int, transA: Bool = false, lda: Int, transB: Bool = false, ldb: Int, ldc: Int,
                            alpha: Float = 1, accumulate: Bool = false, bf16: Bool) -> OneDNN.Key {
        var key = GEMM.makeKey(batch: 1, m: m, n: n, k: k, transA: transA, lda: lda, sa: nil, transB: transB, ldb: ldb,
                               sb: nil, ldc: ldc, sc: nil, bias: false, alpha: alpha, accumulate: accumulate)
        key.bf16 = bf16
        return key
    }

    /// Writes out (rows of `layout.oOffset`) and lse [BH, Nq]; false, having written nothing, for the batched path.
    /// With BF16 products and `keep` (`layout.keptCount` values), the staged q, k, v are written there; `outHalf` (at the
    /// offsets of `out`) receives out rounded to BF16, each head's rows right after they are computed.
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, layout: Layout,
                        out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>, scale: Float, mask: Tensor?,
                        causal: Bool, keep: UnsafeMutablePointer<UInt16>? = nil, outHalf: UnsafeMutablePointer<UInt16>? = nil) -> Bool {
        let L = layout
        guard let bf16 = arithmetic(bh: L.bh), !L.isEmpty else { return false }
        let (nq, nk, d, qb, headKept, pm) = (L.nq, L.nk, L.d, L.queryBlock, L.keptPerHead, mask?.data)
        return Parallel.forEachOnTeam(L.bh, workers: Parallel.threadCount) { h in
            let scratch = Scratch()
            let row = scratch.floats(d), s = scratch.floats(qb * nk)
            let p16 = bf16 ? scratch.halves(qb * nk) : nil
            let (qo, ko, vo) = headOperands(q: q, k: k, v: v, head: h, bf16: bf16, layout: L, scratch: scratch, row: row,
                                            into: keep.map { $0 + h * headKept })
            let o = out + L.oOffset(h)
            OneDNN.withWorker { w in
                forEachBlock(nq, qb) { q0, rows in
                    scores(w, qo, ko, q0: q0, rows: rows, nk: nk, d: d, scale: scale, bf16: bf16, into: s)
                    for i in 0..<rows {
                        let r = s + i * nk
                        lse[h * nq + q0 + i] = AttentionKernels.probabilityRow(r, q: q0 + i, nk: nk, mask: pm, causal: causal)
                        if let p16 { BF16Kernels.narrowSerial(r, p16 + i * nk, nk) }
                    }
                    // O_blk = P V
                    w.run(key(m: rows, n: d, k: nk, lda: nk, ldb: vo.ld, ldc: L.ldo, bf16: bf16),
                          a: p16.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(s), b: vo.pointer, c: o + q0 * L.ldo, bias: nil)
                }
            }
            if let outHalf { roundRows(o, into: outHalf + L.oOffset(h), rows: nq, ld: L.ldo, d: d) }
            withExtendedLifetime(scratch) {}
        }
    }

    /// Rounds `rows` rows of d values, `ld` apart, to BF16 at the same offsets of `half`.
    private static func roundRows(_ src: UnsafePointer<Float>, into half: UnsafeMutablePointer<UInt16>, rows: Int, ld: Int, d: Int) {
        for t in 0..<rows { BF16Kernels.narrowSerial(src + t * ld, half + t * ld, d) }
    }

    /// Writes dq, dk, dv (rows of the layout's q and k/v offsets; q and k gradients rotated back); false, having
    /// written nothing, for the batched path. `dOut` and `out` rows lie at the output offsets. `kept`: what a BF16
    /// forward pass kept (used when this pass is BF16 too). `gradHalf`: BF16 copies of dq, dk, dv (same offsets),
    /// written as each head finishes.
    static func backward(dOut: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         out: UnsafePointer<Float>, lse: UnsafePointer<Float>, layout: Layout, scale: Float, mask: Tensor?,
                         causal: Bool, dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                         dv: UnsafeMutablePointer<Float>, kept: UnsafePointer<UInt16>? = nil,
                         gradHalf: (dq: UnsafeMutablePointer<UInt16>, dk: UnsafeMutablePointer<UInt16>, dv: UnsafeMutablePointer<UInt16>)? = nil) -> Bool {
        let L = layout
        guard let bf16 = arithmetic(bh: L.bh), !L.isEmpty else { return false }
        let (nq, nk, d, qb, headKept, pm) = (L.nq, L.nk, L.d, L.queryBlock, L.keptPerHead, mask?.data)
        let rotated = L.rope != nil
        return Parallel.forEachOnTeam(L.bh, workers: Parallel.threadCount) { h in
            let scratch = Scratch()
            let row = scratch.floats(d), p = scratch.floats(qb * nk), dp = scratch.floats(qb * nk), dsum = scratch.floats(qb)
            let (p16, dp16) = bf16 ? (scratch.halves(qb * nk), scratch.halves(qb * nk)) : (nil, nil)
            let (qOff, kvOff, oOff) = (L.qOffset(h), L.kvOffset(h), L.oOffset(h))
            let qo: Operand, ko: Operand, vo: Operand
            if bf16, let kept {
                let base = UnsafeRawPointer(kept + h * headKept)
                (qo, ko, vo) = (Operand(pointer: base, ld: d, bytes: 2), Operand(pointer: base + L.keptK * 2, ld: d, bytes: 2),
                                Operand(pointer: base + L.keptV * 2, ld: d, bytes: 2))
            } else {
                (qo, ko, vo) = headOperands(q: q, k: k, v: v, head: h, bf16: bf16, layout: L, scratch: scratch, row: row, into: nil)
            }
            let doo = operand(dOut, offset: oOff, ld: L.ldo, rows: nq, rotate: false, bf16: bf16, layout: L, scratch: scratch, row: row)
            // Rotated heads get their q and k gradients in dense scratch first, rotated back into place at the end.
            let (dqh, ldq) = rotated ? (scratch.floats(nq * d), d) : (dq + qOff, L.ldq)
            let (dkh, ldk) = rotated ? (scratch.floats(nk * d), d) : (dk + kvOff, L.ldkv)
            OneDNN.withWorker { w in
                forEachBlock(nq, qb) { q0, rows in
                    // S and dP = dO_blk Vᵀ
                    scores(w, qo, ko, q0: q0, rows: rows, nk: nk, d: d, scale: scale, bf16: bf16, into: p)
                    w.run(key(m: rows, n: nk, k: d, lda: doo.ld, transB: true, ldb: vo.ld, ldc: nk, bf16: bf16),
                          a: doo.row(q0), b: vo.pointer, c: dp, bias: nil)
                    for i in 0..<rows {
                        // D_i = Σ_j dO_ij O_ij (= Σ_j P_ij dP_ij)
                        let orow = oOff + (q0 + i) * L.ldo
                        dsum[i] = AttentionKernels.dot(dOut + orow, out + orow, d)
                        let (sr, gr) = (p + i * nk, dp + i * nk)
                        AttentionKernels.gradientRow(sr, gr, q: q0 + i, nk: nk, lse: lse[h * nq + q0 + i], dsum: dsum[i], mask: pm,
                                                     causal: causal, scale: scale)
                        if let p16, let dp16 {
                            BF16Kernels.narrowSerial(sr, p16 + i * nk, nk)
                            BF16Kernels.narrowSerial(gr, dp16 + i * nk, nk)
                        }
                    }
                    let pa = p16.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(p)
                    let dpa = dp16.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(dp)
                    // dQ_blk = dS K ; dK (+)= dSᵀ Q_blk ; dV (+)= Pᵀ dO_blk
                    w.run(key(m: rows, n: d, k: nk, lda: nk, ldb: ko.ld, ldc: ldq, bf16: bf16), a: dpa, b: ko.pointer,
                          c: dqh + q0 * ldq, bias: nil)
                    w.run(key(m: nk, n: d, k: rows, transA: true, lda: nk, ldb: qo.ld, ldc: ldk, accumulate: q0 > 0, bf16: bf16),
                          a: dpa, b: qo.row(q0), c: dkh, bias: nil)
                    w.run(key(m: nk, n: d, k: rows, transA: true, lda: nk, ldb: doo.ld, ldc: L.ldkv, accumulate: q0 > 0, bf16: bf16),
                          a: pa, b: doo.row(q0), c: dv + kvOff, bias: nil)
                }
            }
            if rotated {
                unstage(dqh, rows: nq, into: dq + qOff, ld: L.ldq, layout: L)
                unstage(dkh, rows: nk, into: dk + kvOff, ld: L.ldkv, layout: L)
            }
            if let gradHalf {
                roundRows(dq + qOff, into: gradHalf.dq + qOff, rows: nq, ld: L.ldq, d: d)
                roundRows(dk + kvOff, into: gradHalf.dk + kvOff, rows: nk, ld: L.ldkv, d: d)
                roundRows(dv + kvOff, into: gradHalf.dv + kvOff, rows: nk, ld: L.ldkv, d: d)
            }
            withExtendedLifetime(scratch) {}
        }
    }

    /// Rotates dense gradient rows back (the transpose of the rotation) into their place, `ld` apart.
    private static func unstage(_ src: UnsafePointer<Float>, rows: Int, into dst: UnsafeMutablePointer<Float>, ld: Int, layout: Layout) {
        let d = layout.d
        guard let rope = layout.rope else { return }
        for t in 0..<rows {
            let table = t < rope.prefix ? nil : (t - rope.prefix) * d
            RopeKernels.rotateRow(src + t * d, dst + t * ld, d: d, sin: table.map { rope.sin + $0 }, cos: table.map { rope.cos + $0 },
                                  bf16: false, interleaved: rope.interleaved, inverse: true)
        }
    }
}
