import CVTPKernels
import Foundation

/// Attention one head at a time, for calls with at least as many heads (batch × heads) as threads: every thread
/// of oneDNN's OpenMP team takes whole heads and runs their products (on that thread alone, through a
/// `OneDNN.withWorker` executor of its own), the softmax and the gradient rows back to back. A head's score
/// blocks stay in the core's L2 cache, and no pool of threads hands over to another between a product and the
/// row pass that follows (the batched path in `AttentionKernels` does, four to six times per query block).
///
/// Same layouts and results as `AttentionKernels.forward`/`backward` (q [BH, Nq, d], k and v [BH, Nk, d], dense);
/// each returns nil, having done nothing, where the batched path must run: fewer heads than threads, no OpenMP
/// runtime, or the emulated BF16 backend (numerics tests).
enum AttentionHeads {
    private static let offKey = "VTPTensor.AttentionHeads.off"

    /// Runs `body` with attention on this thread taking the batched path (tests compare the two).
    static func batchedOnly<R>(_ body: () throws -> R) rethrows -> R {
        let dict = Thread.current.threadDictionary
        dict[offKey] = true
        defer { dict[offKey] = nil }
        return try body()
    }

    /// Floats in one score block of one head (256 KiB; the backward holds two: scores and their gradients).
    nonisolated(unsafe) static var blockBudget = 1 << 16

    /// Query rows per block: the budget split evenly over the fewest blocks that respect it.
    static func blockRows(nq: Int, nk: Int) -> Int {
        let blocks = max(1, (nq * nk + blockBudget - 1) / blockBudget)
        return max(1, (nq + blocks - 1) / blocks)
    }

    /// A matrix operand: F32 or BF16 elements from `base`.
    struct Operand {
        let base: UnsafeRawPointer, bytes: Int
        func at(_ element: Int) -> UnsafeRawPointer { base + element * bytes }
    }

    /// Whether a call with `bh` heads can take this path (in F32 or native BF16 arithmetic).
    static func applies(bh: Int) -> Bool {
        bh >= Parallel.threadCount && Thread.current.threadDictionary[offKey] == nil && (Parallel.threadCount == 1 || vtp_omp_available() != 0)
    }

    /// Whether the products run on BF16 copies (nil: this call takes the batched path).
    private static func arithmetic(bh: Int, owners: [TensorStorage?]) -> Bool? {
        guard applies(bh: bh) else { return nil }
        guard MatmulMode.current == .bf16 else { return false }
        switch BF16Backend.current {
        case .f32: BF16Backend.announceF32; return false
        case .emulated: return nil
        case .native: return owners.allSatisfy { $0 != nil } ? true : nil
        }
    }

    /// `x` (pointing into `owner`) as an operand: itself, or its BF16 copy (made now, before any team starts).
    private static func operand(_ x: UnsafePointer<Float>, _ owner: TensorStorage?, bf16: Bool) -> Operand {
        guard bf16, let owner else { return Operand(base: UnsafeRawPointer(x), bytes: 4) }
        return Operand(base: UnsafeRawPointer(BF16Copies.of(owner) + (x - UnsafePointer(owner.pointer))), bytes: 2)
    }

    private static func key(m: Int, n: Int, k: Int, transA: Bool = false, lda: Int? = nil, transB: Bool = false,
                            alpha: Float = 1, accumulate: Bool = false, bf16: Bool) -> OneDNN.Key {
        var key = GEMM.makeKey(batch: 1, m: m, n: n, k: k, transA: transA, lda: lda, sa: nil, transB: transB, ldb: nil,
                               sb: nil, ldc: nil, sc: nil, bias: false, alpha: alpha, accumulate: accumulate)
        key.bf16 = bf16
        return key
    }

    /// A scratch block of `count` floats and, for BF16 products, of `count` BF16 values (from the caching
    /// allocator: these blocks are larger than malloc's mmap threshold).
    private static func scratch(_ count: Int, bf16: Bool) -> (Tensor, Tensor?, UnsafeMutablePointer<UInt16>?) {
        let f = Tensor(uninitialized: [count])
        guard bf16 else { return (f, nil, nil) }
        let h = Tensor(uninitialized: [(count + 1) / 2])
        return (f, h, UnsafeMutableRawPointer(h.data).bindMemory(to: UInt16.self, capacity: count))
    }

    /// Returns (out [BH, Nq, d], lse [BH, Nq]), or nil for the batched path.
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, bh: Int, nq: Int, nk: Int,
                        d: Int, scale: Float, mask: Tensor?, causal: Bool,
                        owners: (q: TensorStorage?, k: TensorStorage?, v: TensorStorage?)) -> (Tensor, Tensor)? {
        guard let bf16 = arithmetic(bh: bh, owners: [owners.q, owners.k, owners.v]), nq > 0, nk > 0, d > 0 else { return nil }
        let out = Tensor(uninitialized: [bh, nq, d]), lse = Tensor(uninitialized: [bh, nq])
        let (qo, ko, vo) = (operand(q, owners.q, bf16: bf16), operand(k, owners.k, bf16: bf16), operand(v, owners.v, bf16: bf16))
        let qb = blockRows(nq: nq, nk: nk)
        let (po, pl, pm) = (out.data, lse.data, mask?.data)
        let ran = Parallel.forEachOnTeam(bh, workers: Parallel.threadCount) { h in
            let (s, half, p16) = scratch(qb * nk, bf16: bf16)
            withExtendedLifetime((s, half)) { OneDNN.withWorker { w in
                var q0 = 0
                while q0 < nq {
                    let rows = min(qb, nq - q0)
                    // S = scale · Q_blk Kᵀ  [rows, Nk]
                    w.run(key(m: rows, n: nk, k: d, transB: true, alpha: scale, bf16: bf16),
                          a: qo.at((h * nq + q0) * d), b: ko.at(h * nk * d), c: s.data, bias: nil)
                    for i in 0..<rows {
                        let row = s.data + i * nk
                        pl[h * nq + q0 + i] = AttentionKernels.probabilityRow(row, q: q0 + i, nk: nk, mask: pm, causal: causal)
                        if let p16 { BF16Kernels.narrowSerial(row, p16 + i * nk, nk) }
                    }
                    // O_blk = P V
                    w.run(key(m: rows, n: d, k: nk, bf16: bf16), a: p16.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(s.data),
                          b: vo.at(h * nk * d), c: po + (h * nq + q0) * d, bias: nil)
                    q0 += rows
                }
            } }
        }
        return ran ? (out, lse) : nil
    }

    /// Writes dq [BH, Nq, d], dk and dv [BH, Nk, d]; false (nothing written) for the batched path.
    static func backward(dOut: Tensor, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         owners: (q: TensorStorage?, k: TensorStorage?, v: TensorStorage?),
                         out: Tensor, lse: Tensor, bh: Int, nq: Int, nk: Int, d: Int, scale: Float, mask: Tensor?, causal: Bool,
                         dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>) -> Bool {
        guard let bf16 = arithmetic(bh: bh, owners: [owners.q, owners.k, owners.v, dOut.storage]), nq > 0, nk > 0, d > 0
        else { return false }
        let (qo, ko, vo) = (operand(q, owners.q, bf16: bf16), operand(k, owners.k, bf16: bf16), operand(v, owners.v, bf16: bf16))
        let doo = operand(dOut.data, dOut.storage, bf16: bf16)
        let qb = blockRows(nq: nq, nk: nk)
        let (pdo, po, pl, pm) = (dOut.data, out.data, lse.data, mask?.data)
        return Parallel.forEachOnTeam(bh, workers: Parallel.threadCount) { h in
            let (p, ph, p16) = scratch(qb * nk, bf16: bf16)
            let (dp, dph, dp16) = scratch(qb * nk, bf16: bf16)
            let dsum = Tensor(uninitialized: [qb])
            withExtendedLifetime((p, ph, dp, dph, dsum)) { OneDNN.withWorker { w in
                var q0 = 0
                while q0 < nq {
                    let rows = min(qb, nq - q0), r0 = h * nq + q0
                    // S = scale · Q_blk Kᵀ, dP = dO_blk Vᵀ
                    w.run(key(m: rows, n: nk, k: d, transB: true, alpha: scale, bf16: bf16),
                          a: qo.at(r0 * d), b: ko.at(h * nk * d), c: p.data, bias: nil)
                    w.run(key(m: rows, n: nk, k: d, transB: true, bf16: bf16),
                          a: doo.at(r0 * d), b: vo.at(h * nk * d), c: dp.data, bias: nil)
                    for i in 0..<rows {
                        // D_i = Σ_j dO_ij O_ij (= Σ_j P_ij dP_ij)
                        dsum.data[i] = AttentionKernels.dot(pdo + (r0 + i) * d, po + (r0 + i) * d, d)
                        let (sr, gr) = (p.data + i * nk, dp.data + i * nk)
                        AttentionKernels.gradientRow(sr, gr, q: q0 + i, nk: nk, lse: pl[r0 + i], dsum: dsum.data[i], mask: pm,
                                                     causal: causal, scale: scale)
                        if let p16, let dp16 {
                            BF16Kernels.narrowSerial(sr, p16 + i * nk, nk)
                            BF16Kernels.narrowSerial(gr, dp16 + i * nk, nk)
                        }
                    }
                    let pa = p16.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(p.data)
                    let dpa = dp16.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(dp.data)
                    // dQ_blk = dS K ; dK (+)= dSᵀ Q_blk ; dV (+)= Pᵀ dO_blk
                    w.run(key(m: rows, n: d, k: nk, bf16: bf16), a: dpa, b: ko.at(h * nk * d), c: dq + r0 * d, bias: nil)
                    w.run(key(m: nk, n: d, k: rows, transA: true, lda: nk, accumulate: q0 > 0, bf16: bf16),
                          a: dpa, b: qo.at(r0 * d), c: dk + h * nk * d, bias: nil)
                    w.run(key(m: nk, n: d, k: rows, transA: true, lda: nk, accumulate: q0 > 0, bf16: bf16),
                          a: pa, b: doo.at(r0 * d), c: dv + h * nk * d, bias: nil)
                    q0 += rows
                }
            } }
        }
    }
}
