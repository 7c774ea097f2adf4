import Foundation
import VTPTensor

/// Weighted k-nearest-neighbour classification of features, as DINO's k-NN evaluation: features are
/// L2-normalised, the k reference samples of highest cosine similarity s vote for their label with weight
/// exp(s / T), and the label with the largest total wins (T = 0.07, k = 20 by default).
public enum KNNClassifier {
    /// Predicted labels of `queries` [Q, D] from `references` [R, D] with `referenceLabels` (R values ≥ 0).
    /// With `leaveOneOut`, queries and references are the same samples and each ignores itself.
    public static func predict(queries: Tensor, references: Tensor, referenceLabels: [Int], k: Int = 20,
                               temperature: Float = 0.07, leaveOneOut: Bool = false,
                               similarityBudget: Int = 1 << 24) -> [Int] {
        precondition(queries.rank == 2 && references.rank == 2 && queries.shape[1] == references.shape[1],
                     "KNNClassifier: queries \(queries.shape) and references \(references.shape) must be [n, D] alike")
        precondition(referenceLabels.count == references.shape[0] && referenceLabels.allSatisfy { $0 >= 0 },
                     "KNNClassifier: one label ≥ 0 per reference")
        precondition(!leaveOneOut || queries.shape[0] == references.shape[0], "KNNClassifier: leave-one-out needs queries = references")
        let (q, r) = (queries.shape[0], references.shape[0])
        let classes = (referenceLabels.max() ?? 0) + 1
        let kk = Swift.min(k, r - (leaveOneOut ? 1 : 0))
        var out = [Int](repeating: 0, count: q)
        guard kk > 0 else { return out }
        let refs = withNoGrad { references.l2Normalized() }
        // Similarities of at most `chunk` queries at a time, `similarityBudget` floats (10,000 × 60,000 at once
        // would be 2.4 GB).
        let chunk = Swift.max(1, similarityBudget / Swift.max(r, 1))
        var sims: [Float] = [], first = 0
        for i in 0..<q {
            if i == 0 || i - first == chunk {
                first = i
                sims = withNoGrad { queries.slice(axis: 0, i..<Swift.min(i + chunk, q)).l2Normalized().matmul(refs, transposeB: true) }.scalars
            }
            let row = i - first
            // The kk most similar references (ties: lower index first), by partial selection.
            var best: [(sim: Float, index: Int)] = []
            best.reserveCapacity(kk + 1)
            for j in 0..<r where !(leaveOneOut && j == i) {
                let s = sims[row * r + j]
                if best.count == kk, let last = best.last, s <= last.sim { continue }
                let at = best.firstIndex { s > $0.sim } ?? best.count
                best.insert((s, j), at: at)
                if best.count > kk { best.removeLast() }
            }
            var votes = [Double](repeating: 0, count: classes)
            for (s, j) in best { votes[referenceLabels[j]] += Foundation.exp(Double(s / temperature)) }
            out[i] = votes.indices.max { votes[$0] < votes[$1] || (votes[$0] == votes[$1] && $0 > $1) } ?? 0
        }
        return out
    }

    /// Top-1 accuracy (0–1) of leave-one-out k-NN over `features` [n, D] with `labels`.
    public static func leaveOneOutAccuracy(features: Tensor, labels: [Int], k: Int = 20, temperature: Float = 0.07) -> Double {
        let predicted = predict(queries: features, references: features, referenceLabels: labels, k: k,
                                temperature: temperature, leaveOneOut: true)
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(Swift.max(labels.count, 1))
    }
}
