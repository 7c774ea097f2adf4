import Foundation
import VTPDistributed
import VTPTensor

/// The batch-level statistics of the DINO and iBOT teacher targets, over the global batch: dinov2 all-reduces
/// the centre's row sums and the Sinkhorn-Knopp sums across GPUs the same way.
extension DataParallel {
    /// `centering` after one update with every rank's teacher logits (`logits`: this rank's rows [n, K], n ≥ 0;
    /// nil = no rows): c ← m·c + (1 − m)·(global row mean).
    func updated(_ centering: TeacherCentering, with logits: Tensor?) throws -> TeacherCentering {
        guard isDistributed else { return logits.map { centering.updated(with: $0) } ?? centering }
        let k = centering.prototypes
        let (sums, count) = try globalColumnSums(logits?.scalars ?? [], columns: k)
        guard count > 0 else { return centering }
        var next = centering
        let mean = Tensor(sums.map { Float($0 / Double(count)) }, shape: [k])
        next.center = withNoGrad { centering.center * centering.momentum + mean * (1 - centering.momentum) }
        return next
    }

    /// Sinkhorn-Knopp targets (`SinkhornKnopp.targets`) for this rank's rows [n, K] of the global set of rows:
    /// the maximum, the total, the per-prototype sums and the row count B are global.
    func sinkhornTargets(_ logits: Tensor, temperature: Float, iterations: Int = 3) throws -> Tensor {
        guard isDistributed else { return SinkhornKnopp.targets(logits, temperature: temperature, iterations: iterations) }
        precondition(logits.rank == 2, "sinkhornTargets: expected logits [n, K], got \(logits.shape)")
        let k = logits.shape[1]
        return Tensor(try sinkhornRows(logits.scalars, prototypes: k, temperature: temperature, iterations: iterations),
                      shape: logits.shape)
    }

    /// `sinkhornTargets` for a rank that may have no rows (nil): it still takes part in the global sums.
    func sinkhornTargets(_ logits: Tensor?, prototypes k: Int, temperature: Float) throws -> Tensor? {
        if let logits { return try sinkhornTargets(logits, temperature: temperature) }
        if isDistributed { _ = try sinkhornRows([], prototypes: k, temperature: temperature) }
        return nil
    }

    /// `sinkhornTargets` on row-major rows [n·K] (n may be 0: the rank still takes part in the reductions).
    func sinkhornRows(_ t: [Float], prototypes k: Int, temperature: Float, iterations: Int = 3) throws -> [Float] {
        let n = t.count / k
        var top = [Double(t.max() ?? -Float.greatestFiniteMagnitude)]
        try communicator.allReduceMax(&top)
        let inv = 1 / temperature, shift = Float(top[0])
        var q = t.map { Foundation.exp(($0 - shift) * inv) }
        let total = try communicator.sum(q.reduce(0.0) { $0 + Double($1) })
        let rows = try communicator.sum(Double(n))
        for i in q.indices { q[i] = Float(Double(q[i]) / total) }
        for _ in 0..<iterations {
            let (columns, _) = try globalColumnSums(q, columns: k)
            for r in 0..<n { for c in 0..<k { q[r * k + c] = Float(Double(q[r * k + c]) / (columns[c] * Double(k))) } }
            for r in 0..<n {
                let s = q[(r * k)..<((r + 1) * k)].reduce(0.0) { $0 + Double($1) }
                for c in 0..<k { q[r * k + c] = Float(Double(q[r * k + c]) / (s * rows)) }
            }
        }
        return q.map { $0 * Float(rows) }
    }
}
