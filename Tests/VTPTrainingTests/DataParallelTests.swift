import Foundation
import Testing
import VTPDistributed
import VTPNN
import VTPTensor
@testable import VTPTraining

/// `DataParallel`'s gradient arithmetic without `mpirun`: two ranks are played one after the other by a stand-in
/// communicator that returns the other rank's (precomputed) rows from `allGather`. The gradients the two ranks
/// compute must add up to the gradient of one process on the whole batch — for the global losses (CLIP with its
/// shared logit scale, SigLIP with its bias, KoLeo) and for per-sample means.
@Suite struct DataParallelTests {
    /// Rank `rank` of 2; `allGather` places `peer.removeFirst()` (the other rank's rows) around this rank's values.
    final class TwoRanks: Communicator {
        let rank: Int
        var size: Int { 2 }
        var peer: [[Float]]
        init(rank: Int, peer: [[Float]]) { self.rank = rank; self.peer = peer }
        func allGather(_ values: [Float]) throws -> [Float] {
            let other = peer.removeFirst()
            return rank == 0 ? values + other : other + values
        }
        func allReduceSum(_ values: inout [Float]) throws { throw DistributedError.invalid("not used") }
        func allReduceSum(_ values: inout [Double]) throws { throw DistributedError.invalid("not used") }
        func allReduceMax(_ values: inout [Double]) throws { throw DistributedError.invalid("not used") }
        func broadcast(_ bytes: inout [UInt8], root: Int) throws { throw DistributedError.invalid("not used") }
        func barrier() throws {}
        func abort(message: String, code: Int32) -> Never { fatalError(message) }
    }

    /// A tiny two-tower model: L2-normalised x·W (images) and y·V (texts), with a log-scale and a bias.
    struct Towers {
        let w: Parameter, v: Parameter, scale: Parameter, bias: Parameter
        init() {
            var rng = RNG(seed: 11)
            w = Parameter(Tensor.randomNormal([6, 4], rng: &rng))
            v = Parameter(Tensor.randomNormal([5, 4], rng: &rng))
            scale = Parameter(Tensor([1.3], shape: [1]))
            bias = Parameter(Tensor([-2], shape: [1]))
        }
        var parameters: [Parameter] { [w, v, scale, bias] }
        func images(_ x: Tensor) -> Tensor { x.matmul(w.value).l2Normalized() }
        func texts(_ y: Tensor) -> Tensor { y.matmul(v.value).l2Normalized() }
    }

    static func rows(_ t: Tensor, _ r: Range<Int>) -> Tensor {
        let per = t.count / t.shape[0]
        return Tensor(Array(t.scalars[(r.lowerBound * per)..<(r.upperBound * per)]), shape: [r.count] + t.shape.dropFirst())
    }

    /// Gradients of `loss` over the whole batch, and summed over two ranks each holding half of it.
    static func compare(_ what: String,
                        loss: (Towers, DataParallel, _ images: Tensor, _ texts: Tensor) throws -> Tensor) throws {
        let m = Towers()
        var rng = RNG(seed: 5)
        let x = Tensor.randomNormal([8, 6], rng: &rng), y = Tensor.randomNormal([8, 5], rng: &rng)
        let whole = try loss(m, .single, m.images(x), m.texts(y))
        _ = whole.backward()
        let expected = m.parameters.map { $0.grad?.scalars ?? [] }
        m.parameters.forEach { $0.zeroGrad() }

        let halves = [0..<4, 4..<8]
        let features = halves.map { r in withNoGrad { (m.images(rows(x, r)).scalars, m.texts(rows(y, r)).scalars) } }
        var summed = m.parameters.map { [Float](repeating: 0, count: $0.value.count) }
        for rank in 0..<2 {
            let other = features[1 - rank]
            let dp = DataParallel(communicator: TwoRanks(rank: rank, peer: [other.0, other.1]))
            let l = try loss(m, dp, m.images(rows(x, halves[rank])), m.texts(rows(y, halves[rank])))
            #expect(abs(l.item - whole.item) <= 1e-5 * abs(whole.item) || what == "mean", "\(what) rank \(rank): loss \(l.item) vs \(whole.item)")
            _ = l.backward()
            for (i, p) in m.parameters.enumerated() {
                if let g = p.grad { for k in g.scalars.indices { summed[i][k] += g.scalars[k] } }
            }
            m.parameters.forEach { $0.zeroGrad() }
        }
        for (i, name) in ["W", "V", "scale", "bias"].enumerated() where !expected[i].isEmpty {
            let worst = zip(summed[i], expected[i]).map { abs($0 - $1) }.max() ?? 0
            let size = expected[i].map(abs).max() ?? 0
            #expect(worst <= 1e-5 * max(size, 1e-3), "\(what): gradient of \(name) differs by \(worst) (largest \(size))")
            #expect(size > 1e-6, "\(what): gradient of \(name) is zero")
        }
    }

    @Test func clipOverTheGlobalBatchSplitsItsGradientExactly() throws {
        try Self.compare("CLIP") { m, dp, i, t in
            CLIPLoss.loss(imageFeatures: try dp.gatherRows(i), textFeatures: try dp.gatherRows(t),
                          logitScale: dp.sharedParameter(m.scale.value))
        }
    }

    @Test func sigLIPOverTheGlobalBatchSplitsItsGradientExactly() throws {
        try Self.compare("SigLIP") { m, dp, i, t in
            SigLIPLoss.loss(imageFeatures: try dp.gatherRows(i), textFeatures: try dp.gatherRows(t),
                            logitScale: dp.sharedParameter(m.scale.value), logitBias: dp.sharedParameter(m.bias.value))
        }
    }

    @Test func koLeoOverTheGlobalBatchSplitsItsGradientExactly() throws {
        try Self.compare("KoLeo") { _, dp, i, t in
            let all = try dp.gatherRows(i)
            _ = try dp.gatherRows(t)  // keeps the stand-in's two gathers in step
            return KoLeoLoss.loss(all)
        }
    }

    /// A per-sample mean taken over each half and scaled by 1/2 sums to the gradient of the whole batch's mean.
    @Test func perSampleMeansAreScaledByTheRankCount() throws {
        try Self.compare("mean") { m, dp, i, t in
            _ = (try dp.gatherRows(i), try dp.gatherRows(t))
            return dp.local(((i * t).sum(axis: -1) * m.scale.value.reshaped([1])).mean())
        }
    }

    @Test func oneProcessLeavesEverythingAsItIs() throws {
        let dp = DataParallel.single
        let x = Tensor([1, 2, 3, 4], shape: [2, 2])
        #expect(try dp.gatherRows(x).scalars == x.scalars && dp.shard([1, 2, 3]) == [1, 2, 3] && dp.local(x).scalars == x.scalars)
        #expect(try dp.averageTerms([("a", 1.5)]).map(\.1) == [1.5])
    }
}
