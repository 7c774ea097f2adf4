import CVTPKernels
import Foundation

/// Memory-bounded softmax attention, forward and backward.
///
/// q [BH, Nq, d], k and v [BH, Nk, d] (BH = batch × heads, dense). Queries are processed in blocks of `qb`
/// rows for all heads at once, so the score buffer is [BH, qb, Nk] with qb chosen to keep it under
/// `scoreBudget` floats: memory grows linearly with the sequence length and no N×N matrix per head is ever
/// held for long sequences. Scores and probabilities are recomputed in the backward pass from the saved
/// per-row log-sum-exp (as FlashAttention does).
///
/// `forward` and `backward` first offer the call to `AttentionHeads` (one head at a time per thread, the usual path);
/// what is below runs when it declines: fewer heads than threads, or the emulated BF16 backend.
enum AttentionKernels {
    /// Floats allowed for one score block (64 MiB).
    nonisolated(unsafe) static var scoreBudget = 16 << 20

    static func blockRows(bh: Int, nq: Int, nk: Int) -> Int {
        max(1, min(nq, scoreBudget / max(bh * nk, 1)))
    }

    /// Adds the mask to a score block and turns each row into probabilities; returns nothing, fills `lse`.
    /// Row i of the block is query q0 + i. With `bf16`, the probabilities are also written there rounded to BF16.
    static func softmaxBlock(_ s: UnsafeMutablePointer<Float>, bh: Int, rows: Int, q0: Int, nk: Int,
                             mask: UnsafePointer<Float>?, causal: Bool, lse: UnsafeMutablePointer<Float>?, nq: Int,
                             bf16: UnsafeMutablePointer<UInt16>? = nil) {
        Parallel.forEach(bh * rows, grain: 8) { idx in
            let h = idx / rows, q = q0 + idx % rows
            let row = s + idx * nk
            let l = probabilityRow(row, q: q, nk: nk, mask: mask, causal: causal)
            lse?[h * nq + q] = l
            if let bf16 { BF16Kernels.narrowSerial(row, bf16 + idx * nk, nk) }
        }
    }

    /// Turns the scores of query `q` into probabilities in place: adds its mask row, blocks the keys after `q`
    /// when `causal`, takes the softmax. Returns the row's log-sum-exp.
    @inline(__always) static func probabilityRow(_ row: UnsafeMutablePointer<Float>, q: Int, nk: Int,
                                                 mask: UnsafePointer<Float>?, causal: Bool) -> Float {
        if let mask { let mr = mask + q * nk; for j in 0..<nk { row[j] += mr[j] } }
        if causal && q + 1 < nk { (row + q + 1).update(repeating: -.infinity, count: nk - q - 1) }
        return SoftmaxKernels.softmaxRow(row, row, nk, log: false)
    }

    /// The backward pass of one query row `q`: `sr` holds its scores S (without mask) and becomes
    /// P = exp(S + mask − lse); `gr` holds dP and becomes dS = P ⊙ (dP − D) · scale, with D = Σ_j dO_j O_j.
    @inline(__always) static func gradientRow(_ sr: UnsafeMutablePointer<Float>, _ gr: UnsafeMutablePointer<Float>, q: Int,
                                              nk: Int, lse l: Float, dsum di: Float, mask: UnsafePointer<Float>?,
                                              causal: Bool, scale: Float) {
        if let mask { let mr = mask + q * nk; for j in 0..<nk { sr[j] += mr[j] } }
        vtp_attention_grad_row(sr, gr, nk, causal ? min(nk, q + 1) : nk, l, di, scale)
    }

    /// Σ_j a_j b_j over `d` elements.
    @inline(__always) static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
        var acc: Float = 0
        for j in 0..<d { acc += a[j] * b[j] }
        return acc
    }

    /// Returns (out [BH, Nq, d], lse [BH, Nq]). q, k, v point at dense [BH, N, d] blocks.
    /// `owners` are the tensor buffers q, k and v point into (see `GEMM.gemm`'s `aOwner`).
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, bh: Int, nq: Int, nk: Int,
                        d: Int, scale: Float, mask: Tensor?, causal: Bool,
                        owners: (q: TensorStorage?, k: TensorStorage?, v: TensorStorage?)) -> (Tensor, Tensor) {
        let out = Tensor(uninitialized: [bh, nq, d]), lse = Tensor(uninitialized: [bh, nq])
        if AttentionHeads.forward(q: q, k: k, v: v, layout: .dense(bh: bh, nq: nq, nk: nk, d: d), out: out.data, lse: lse.data,
                                  scale: scale, mask: mask, causal: causal) { return (out, lse) }
        let qb = blockRows(bh: bh, nq: nq, nk: nk)
        let scores = Tensor(uninitialized: [bh * qb * nk])
        // Native BF16: softmax in F32, the probabilities rounded to BF16 in the same pass for the PV product.
        let native = MatmulMode.current == .bf16 && BF16Backend.current == .native && owners.v != nil
        let pb = native ? UnsafeMutablePointer<UInt16>.allocate(capacity: bh * qb * nk) : nil
        defer { pb?.deallocate() }
        var q0 = 0
        while q0 < nq {
            let rows = min(qb, nq - q0)
            // S = scale · Q_blk Kᵀ   [BH, rows, Nk]
            GEMM.gemm(batch: bh, m: rows, n: nk, k: d, a: q + q0 * d, lda: d, sa: nq * d, aOwner: owners.q,
                      b: k, transB: true, ldb: d, sb: nk * d, bOwner: owners.k, c: scores.data, ldc: nk, sc: rows * nk, alpha: scale)
            softmaxBlock(scores.data, bh: bh, rows: rows, q0: q0, nk: nk, mask: mask?.data, causal: causal, lse: lse.data, nq: nq,
                         bf16: pb)
            // O_blk = P V
            if let pb, let vo = owners.v {
                GEMM.gemmBF16(batch: bh, m: rows, n: d, k: nk, a: pb, lda: nk, sa: rows * nk,
                              b: BF16Copies.of(vo) + (v - UnsafePointer(vo.pointer)), ldb: d, sb: nk * d,
                              c: out.data + q0 * d, ldc: d, sc: nq * d)
            } else {
                GEMM.gemm(batch: bh, m: rows, n: d, k: nk, a: scores.data, lda: nk, sa: rows * nk,
                          b: v, ldb: d, sb: nk * d, bOwner: owners.v, c: out.data + q0 * d, ldc: d, sc: nq * d)
            }
            q0 += rows
        }
        return (out, lse)
    }

    /// Writes dq [BH, Nq, d], dk and dv [BH, Nk, d] (dense blocks at the given addresses). `owners` are the tensor
    /// buffers q, k, v point into; `dOut` and the saved tensors are read through their buffers too.
    static func backward(dOut: Tensor, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         owners: (q: TensorStorage?, k: TensorStorage?, v: TensorStorage?),
                         out: Tensor, lse: Tensor, bh: Int, nq: Int, nk: Int, d: Int, scale: Float, mask: Tensor?, causal: Bool,
                         dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>) {
        if AttentionHeads.backward(dOut: dOut.data, q: q, k: k, v: v, out: out.data, lse: lse.data,
                                   layout: .dense(bh: bh, nq: nq, nk: nk, d: d), scale: scale, mask: mask, causal: causal,
                                   dq: dq, dk: dk, dv: dv) { return }
        // D_i = Σ_j dO_ij O_ij  (= Σ_j P_ij dP_ij)
        let dsum = Tensor(uninitialized: [bh * nq])
        let (pdo, po, pd) = (dOut.data, out.data, dsum.data)
        Parallel.forEach(bh * nq, grain: 64) { r in pd[r] = dot(pdo + r * d, po + r * d, d) }
        let qb = blockRows(bh: bh, nq: nq, nk: nk)
        let p = Tensor(uninitialized: [bh * qb * nk]), dp = Tensor(uninitialized: [bh * qb * nk])
        // Native BF16: the probabilities and score gradients are rounded as they are computed (one pass), and the
        // products read those BF16 blocks and the BF16 copies of q, k, v and dOut.
        let native = MatmulMode.current == .bf16 && BF16Backend.current == .native
        let pb = native ? UnsafeMutablePointer<UInt16>.allocate(capacity: bh * qb * nk) : nil
        let dpb = native ? UnsafeMutablePointer<UInt16>.allocate(capacity: bh * qb * nk) : nil
        defer { pb?.deallocate(); dpb?.deallocate() }
        func bf16(_ x: UnsafePointer<Float>, _ owner: TensorStorage?) -> UnsafePointer<UInt16> {
            guard let owner else { preconditionFailure("attention backward: BF16 operand without a buffer") }
            return BF16Copies.of(owner) + (x - UnsafePointer(owner.pointer))
        }
        var q0 = 0
        while q0 < nq {
            let rows = min(qb, nq - q0)
            if native, let qo = owners.q, let ko = owners.k, let vo = owners.v {
                GEMM.gemmBF16(batch: bh, m: rows, n: nk, k: d, a: bf16(q + q0 * d, qo), lda: d, sa: nq * d,
                              b: bf16(k, ko), transB: true, ldb: d, sb: nk * d, c: p.data, ldc: nk, sc: rows * nk, alpha: scale)
                GEMM.gemmBF16(batch: bh, m: rows, n: nk, k: d, a: bf16(dOut.data + q0 * d, dOut.storage), lda: d, sa: nq * d,
                              b: bf16(v, vo), transB: true, ldb: d, sb: nk * d, c: dp.data, ldc: nk, sc: rows * nk)
            } else {
                GEMM.gemm(batch: bh, m: rows, n: nk, k: d, a: q + q0 * d, lda: d, sa: nq * d, aOwner: owners.q,
                          b: k, transB: true, ldb: d, sb: nk * d, bOwner: owners.k, c: p.data, ldc: nk, sc: rows * nk, alpha: scale)
                GEMM.gemm(batch: bh, m: rows, n: nk, k: d, a: dOut.data + q0 * d, lda: d, sa: nq * d, aOwner: dOut.storage,
                          b: v, transB: true, ldb: d, sb: nk * d, bOwner: owners.v, c: dp.data, ldc: nk, sc: rows * nk)
            }
            // P = exp(S + mask − lse); dS = P ⊙ (dP − D) · scale
            let (pp, pdp, pl, pm) = (p.data, dp.data, lse.data, mask?.data)
            Parallel.forEach(bh * rows, grain: 8) { idx in
                let h = idx / rows, qi = q0 + idx % rows
                let sr = pp + idx * nk, gr = pdp + idx * nk
                gradientRow(sr, gr, q: qi, nk: nk, lse: pl[h * nq + qi], dsum: pd[h * nq + qi], mask: pm, causal: causal,
                            scale: scale)
                if let pb, let dpb {
                    BF16Kernels.narrowSerial(sr, pb + idx * nk, nk)
                    BF16Kernels.narrowSerial(gr, dpb + idx * nk, nk)
                }
            }
            // dQ_blk = dS K ; dK += dSᵀ Q_blk ; dV += Pᵀ dO_blk
            if native, let pb, let dpb, let qo = owners.q, let ko = owners.k {
                let dob = bf16(dOut.data, dOut.storage)
                GEMM.gemmBF16(batch: bh, m: rows, n: d, k: nk, a: dpb, lda: nk, sa: rows * nk,
                              b: bf16(k, ko), ldb: d, sb: nk * d, c: dq + q0 * d, ldc: d, sc: nq * d)
                GEMM.gemmBF16(batch: bh, m: nk, n: d, k: rows, a: dpb, transA: true, lda: nk, sa: rows * nk,
                              b: bf16(q + q0 * d, qo), ldb: d, sb: nq * d, c: dk, ldc: d, sc: nk * d, accumulate: q0 > 0)
                GEMM.gemmBF16(batch: bh, m: nk, n: d, k: rows, a: pb, transA: true, lda: nk, sa: rows * nk,
                              b: dob + q0 * d, ldb: d, sb: nq * d, c: dv, ldc: d, sc: nk * d, accumulate: q0 > 0)
            } else {
                GEMM.gemm(batch: bh, m: rows, n: d, k: nk, a: dp.data, lda: nk, sa: rows * nk,
                          b: k, ldb: d, sb: nk * d, bOwner: owners.k, c: dq + q0 * d, ldc: d, sc: nq * d)
                GEMM.gemm(batch: bh, m: nk, n: d, k: rows, a: dp.data, transA: true, lda: nk, sa: rows * nk,
                          b: q + q0 * d, ldb: d, sb: nq * d, bOwner: owners.q, c: dk, ldc: d, sc: nk * d, accumulate: q0 > 0)
                GEMM.gemm(batch: bh, m: nk, n: d, k: rows, a: p.data, transA: true, lda: nk, sa: rows * nk,
                          b: dOut.data + q0 * d, ldb: d, sb: nq * d, bOwner: dOut.storage, c: dv, ldc: d, sc: nk * d,
                          accumulate: q0 > 0)
            }
            q0 += rows
        }
    }
}
