import Foundation
import VTPDistributed
import VTPNN
import VTPTensor

/// Data parallelism over the ranks of a `Communicator`, arranged so that N ranks take the same steps as one
/// process with the same global batch.
///
/// Every rank reads the same global batch (same seeded order and augmentation) and keeps rows
/// `rank·b ..< (rank + 1)·b` (b = B/N). A loss on the local rows is one of two kinds:
/// - **per-sample mean** (DINO, iBOT, reconstruction): the rank computes its local mean and back-propagates it
///   scaled by 1/N (`local(_:)`), so that the sum over ranks of the gradients is the gradient of the global mean;
/// - **global** (CLIP, SigLIP, KoLeo): the rank gathers the features of every rank (`gatherRows(_:)`; the others'
///   rows are constants, its own rows keep their graph) and computes the loss of the whole global batch. The
///   gradient reaching its own rows is then exactly the global loss's; a parameter every rank uses directly in
///   such a loss (the logit scale and bias) goes through `sharedParameter(_:)` (gradient × 1/N), since every
///   rank computes its full gradient.
/// `allReduceGradients(_:)` then sums the gradients over ranks (bucketed flat buffers), after which every rank
/// applies the same optimizer update to the same weights. Reported loss terms are averaged over ranks
/// (`averageTerms(_:)`): the local mean of a mean-type loss averages to the global mean, a global loss is the
/// same on every rank.
///
/// With one rank every function is the identity (no extra operation, so single-process numbers are unchanged).
public struct DataParallel {
    public let communicator: any Communicator
    /// Floats per all-reduce message (16 MiB).
    public var bucketElements = 1 << 22

    public init(communicator: any Communicator) { self.communicator = communicator }

    /// One process.
    public static let single = DataParallel(communicator: SingleProcess())
    /// The ranks this process was launched with (`Distributed.world`: `mpirun`'s, else one).
    public static var world: DataParallel { DataParallel(communicator: Distributed.world) }

    public var rank: Int { communicator.rank }
    public var size: Int { communicator.size }
    public var isDistributed: Bool { communicator.size > 1 }

    /// This rank's rows of a global batch of `count` rows (`count` divisible by the number of ranks).
    public func shardRange(of count: Int) -> Range<Int> {
        precondition(count % size == 0, "DataParallel: \(count) rows do not divide over \(size) ranks")
        let b = count / size
        return (rank * b)..<((rank + 1) * b)
    }

    /// This rank's samples of a global batch.
    public func shard<T>(_ batch: [T]) -> [T] { isDistributed ? Array(batch[shardRange(of: batch.count)]) : batch }

    /// This rank's rows of a global batch tensor [B, …] (a constant: for inputs drawn for the whole batch).
    public func shardRows(_ x: Tensor) -> Tensor {
        guard isDistributed else { return x }
        let r = shardRange(of: x.shape[0]), per = x.count / x.shape[0]
        return Tensor(Array(x.scalars[(r.lowerBound * per)..<(r.upperBound * per)]), shape: [r.count] + x.shape.dropFirst())
    }

    /// A per-sample-mean loss of the local rows, scaled for back-propagation (× 1/N).
    public func local(_ loss: Tensor) -> Tensor { isDistributed ? loss * (1 / Float(size)) : loss }

    /// The rows [b, …] of every rank, concatenated in rank order → [N·b, …]; this rank's rows are `rows` itself
    /// (the gradient flows into them), the others are constants.
    public func gatherRows(_ rows: Tensor) throws -> Tensor {
        guard isDistributed else { return rows }
        let all = try communicator.allGather(rows.scalars)
        let per = rows.count, tail = Array(rows.shape.dropFirst()), b = rows.shape[0]
        var parts: [Tensor] = []
        if rank > 0 { parts.append(Tensor(Array(all[0..<(rank * per)]), shape: [rank * b] + tail)) }
        parts.append(rows)
        if rank < size - 1 {
            parts.append(Tensor(Array(all[((rank + 1) * per)...]), shape: [(size - 1 - rank) * b] + tail))
        }
        return Tensor.concat(parts, axis: 0)
    }

    /// `x` in the forward pass; its gradient × 1/N in the backward pass (a parameter every rank uses in a global loss).
    public func sharedParameter(_ x: Tensor) -> Tensor {
        guard isDistributed else { return x }
        let k = 1 / Float(size)
        return Tensor.custom(x.detached(), inputs: [x], name: "dataParallelShare") { g in [g * k] }
    }

    /// Waits until every rank has called it.
    public func barrier() throws { try communicator.barrier() }

    /// Averages loss terms over ranks (every rank must pass the same names in the same order).
    public func averageTerms(_ terms: [(String, Float)]) throws -> [(String, Float)] {
        guard isDistributed else { return terms }
        var values = terms.map { Double($0.1) }
        try communicator.allReduceSum(&values)
        return zip(terms, values).map { ($0.0.0, Float($0.1 / Double(size))) }
    }

    /// Sums the gradients of `parameters` over ranks, in place. A parameter gets a gradient when any rank has one
    /// (ranks without contribute zeros); one no rank touched keeps none (AdamW skips it, as in one process).
    /// With `VTP_PROFILE` its time (waiting for the slowest rank included) is reported as "data-parallel all-reduce".
    public func allReduceGradients(_ parameters: [Parameter]) throws {
        guard isDistributed else { return }
        let began = Profiler.isEnabled ? Profiler.now() : 0
        defer {
            if Profiler.isEnabled {
                Profiler.add("data-parallel all-reduce", Profiler.now() - began)
                Profiler.mark()
            }
        }
        var present = parameters.map { $0.grad == nil ? Float(0) : 1 }
        try communicator.allReduceSum(&present)
        let used = parameters.indices.filter { present[$0] > 0 }
        var start = 0
        while start < used.count {
            var end = start, n = 0
            while end < used.count && (n == 0 || n + parameters[used[end]].value.count <= bucketElements) {
                n += parameters[used[end]].value.count
                end += 1
            }
            var buffer = [Float](repeating: 0, count: n)
            var offset = 0
            for i in used[start..<end] {
                let p = parameters[i]
                if let g = p.grad { buffer.replaceSubrange(offset..<(offset + p.value.count), with: g.scalars) }
                offset += p.value.count
            }
            try communicator.allReduceSum(&buffer)
            offset = 0
            for i in used[start..<end] {
                let p = parameters[i]
                p.grad = Tensor(Array(buffer[offset..<(offset + p.value.count)]), shape: p.shape)
                offset += p.value.count
            }
            start = end
        }
    }

    /// Column sums and row count over every rank's rows of `rows` [n, K] (n may be 0 on some ranks).
    func globalColumnSums(_ rows: [Float], columns k: Int) throws -> (sums: [Double], count: Int) {
        var acc = [Double](repeating: 0, count: k + 1)
        let n = rows.count / k
        for r in 0..<n { for c in 0..<k { acc[c] += Double(rows[r * k + c]) } }
        acc[k] = Double(n)
        try communicator.allReduceSum(&acc)
        return (Array(acc[0..<k]), Int(acc[k]))
    }
}
