import Foundation
import Testing
import VTPGeneration
import VTPModels
import VTPNN
import VTPTensor
import VTPTestSupport

@Suite struct FlowMatchingTests {
    /// A tiny model with every weight random (the official init would zero the adaLN and final layers).
    func randomModel(_ edit: (inout LightningDiTConfig) -> Void = { _ in }) throws -> LightningDiT {
        var c = LightningDiTConfig()
        (c.inputSize, c.patchSize, c.inChannels, c.hiddenSize, c.depth, c.numHeads, c.numClasses) = (4, 2, 3, 16, 2, 2, 4)
        (c.useRope, c.useSwiglu, c.useRmsnorm) = (true, true, true)
        edit(&c)
        let model = try LightningDiT(config: c)
        var rng = RNG(seed: 11)
        for (key, p) in model.namedParameters() where p.requiresGrad {
            let fanIn = p.shape.count > 1 ? p.value.count / p.shape[0] : 1
            let std: Float = key.hasSuffix("bias") ? 0.1 : (p.shape.count == 1 ? 0.2 : 1 / Float(fanIn).squareRoot())
            p.value = Tensor.randomNormal(p.shape, mean: p.shape.count == 1 && !key.hasSuffix("bias") ? 1 : 0, std: std, rng: &rng)
        }
        return model
    }

    /// d(mean MSE + mean cosine loss)/dθ through the whole model equals central finite differences, for elements of
    /// every kind of parameter (patch conv, t-MLP, label table, attention, SwiGLU, adaLN, norms, final layer).
    func checkParameterGradients(_ model: LightningDiT) throws {
        var rng = RNG(seed: 12)
        let c = model.config
        let x1 = Tensor.randomNormal([2, c.inChannels, c.inputSize, c.inputSize], rng: &rng)
        let x0 = Tensor.randomNormal(x1.shape, rng: &rng)
        let t: [Float] = [0.3, 0.8], y = [1, 4]
        func loss() throws -> Tensor { try model.flowMatchingTerms(data: x1, noise: x0, t: t, y: y).total(cosineWeight: 1) }
        model.zeroGrad()
        _ = try loss().backward()
        var checked = 0
        for (key, p) in model.namedParameters() where p.requiresGrad {
            let g = try #require(p.grad, "no gradient for \(key)")
            for e in [0, p.value.count / 2, p.value.count - 1] {
                let saved = p.value.data[e]
                let h: Float = 1e-2
                p.value.data[e] = saved + h
                let plus = try withNoGrad { try loss().item }
                p.value.data[e] = saved - h
                let minus = try withNoGrad { try loss().item }
                p.value.data[e] = saved
                let numeric = (plus - minus) / (2 * h), analytic = g.data[e]
                #expect(abs(analytic - numeric) <= 2e-3 + 3e-2 * abs(numeric), "\(key)[\(e)]: analytic \(analytic) vs numeric \(numeric)")
                checked += 1
            }
        }
        #expect(checked > 60)
    }

    @Test func lossGradientThroughTheModel() throws {
        try checkParameterGradients(try randomModel())
    }

    @Test func lossGradientOtherFlags() throws {
        try checkParameterGradients(try randomModel {
            $0.useSwiglu = false; $0.useRmsnorm = false; $0.useQknorm = true; $0.woShift = true; $0.learnSigma = true
        })
    }

    /// The cosine loss alone against finite differences in the prediction (and the MSE per sample).
    @Test func lossGradients() {
        let target = randn([2, 3, 2, 2], seed: 13)
        checkGradients("velocity cosine loss", [randn([2, 3, 2, 2], seed: 14)]) { velocityCosineLoss(prediction: $0[0], target: target) }
        checkGradients("velocity MSE", [randn([2, 3, 2, 2], seed: 15)]) { velocityMSELoss(prediction: $0[0], target: target) }
    }

    @Test func pathAndLossesKnownAnswers() throws {
        let x1 = Tensor([1, 2, 3, 4], shape: [1, 2, 2, 1]), x0 = Tensor([0, 0, 1, -1], shape: [1, 2, 2, 1])
        let (xt, ut) = try LinearFlowPath.plan(t: [0.25], noise: x0, data: x1)
        #expect(xt.scalars == [0.25, 0.5, 1.5, 0.25])
        #expect(ut.scalars == [1, 2, 2, 5])
        // Channel vectors (1, 3) vs (2, 4) and (2, 4) vs (2, 4): cos = 14/√(10·20), 1.
        let cos = velocityCosineLoss(prediction: x1, target: Tensor([2, 2, 4, 4], shape: [1, 2, 2, 1]))
        #expect(abs(cos.item - (1 - 14 / Float(200).squareRoot()) / 2) < 1e-6)
        #expect(velocityMSELoss(prediction: x1, target: x0).scalars == [(1 + 4 + 4 + 25) / 4])
    }

    @Test func timeDistributions() {
        var rng = RNG(seed: 5)
        let n = 40_000
        let ln = TimeDistribution.logitNormal(mu: -0.75, sigma: 1.0).sample(n, rng: &rng)
        let logits = ln.map { Double(Foundation.log($0 / (1 - $0))) }
        let mean = logits.reduce(0, +) / Double(n)
        let sd = (logits.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
        #expect(abs(mean + 0.75) < 0.03 && abs(sd - 1) < 0.03)
        let u = TimeDistribution.uniform.sample(n, rng: &rng)
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(u.reduce(0, +) / Float(n) - 0.5) < 0.01)
    }

    /// dopri5 on dx/dt = x·cos(t) (x(t) = x₀·e^{sin t}) meets its tolerance at every requested time; the fixed-grid
    /// solvers converge with their orders (halving the step divides the error by 2^order).
    @Test func solversOnAnAnalyticODE() throws {
        let x0 = Tensor([1, -2, 0.5], shape: [3])
        let v: VelocityField = { x, t in x * Foundation.cosf(t) }
        let times: [Float] = [0, 0.3, 0.7, 1]
        let exact = times.map { t in x0.scalars.map { $0 * Foundation.expf(Foundation.sinf(t)) } }
        for rtol in [1e-3, 1e-6] {
            let states = try Dopri5Solver(rtol: rtol, atol: 1e-9).integrate(v, from: x0, times: times)
            for (s, e) in zip(states, exact) {
                for (a, b) in zip(s.scalars, e) { #expect(abs(a - b) <= Float(10 * rtol) * abs(b) + 1e-5, "rtol \(rtol)") }
            }
        }
        func error(_ solver: FixedGridSolver, _ n: Int) throws -> Float {
            let grid = try TimestepGrid.make(points: n)
            let last = try solver.integrate(v, from: x0, grid: grid).last!
            return zip(last.scalars, exact[3]).map { abs($0 - $1) }.max()!
        }
        let (e1, e2) = (try error(.euler, 21), try error(.euler, 41))
        #expect(e1 / e2 > 1.7 && e1 / e2 < 2.3)
        // Grids coarse enough that the error stays far above Float rounding.
        for (solver, order, n) in [(FixedGridSolver.midpoint, 2.0, 11), (.heun2, 2, 11), (.heun3, 3, 6)] {
            let ratio = Double(try error(solver, n) / error(solver, 2 * n - 1))
            let expected = Foundation.pow(2, order)
            #expect(ratio > 0.8 * expected && ratio < 1.25 * expected, "\(solver): error ratio \(ratio), expected ≈ \(expected)")
        }
        // rk4 (3/8 rule) is pre-asymptotic on this ODE at coarse grids; its errors in Double are 5.86e-5 (3 points) and
        // 8.57e-6 (5 points).
        #expect(abs(try error(.rk4, 3) - 5.86e-5) < 2e-6)
        #expect(abs(try error(.rk4, 5) - 8.57e-6) < 2e-6)
    }

    @Test func badSettingsAreNamed() throws {
        var s = SampleSettings()
        s.samplingMethod = "rk45"
        #expect(throws: GenerationError.self) { try s.method() }
        s.samplingMethod = "heun"
        #expect(try s.method() == .heun2)
        s.reverse = true
        #expect(throws: GenerationError.self) { try s.method() }
        var t = TransportSettings()
        t.pathType = "VP"
        #expect(throws: GenerationError.self) { try t.validate() }
        let model = try randomModel { $0.classDropoutProb = 0 }
        let sampler = FlowSampler(method: .euler, steps: 3)
        #expect(throws: GenerationError.self) {
            try model.sampleTrajectory(noise: Tensor.zeros([1, 3, 4, 4]), labels: [0], sampler: sampler, guidance: Guidance(scale: 2))
        }
    }
}

/// The official time grid (torch.linspace + shift) for many sizes and shifts, bit for bit
/// (Fixtures/timestep-grids.json, written by scripts/make_dit_fixtures.py).
@Suite struct TimestepGridTests {
    struct File: Decodable {
        struct Grid: Decodable { let points: Int; let shift: Double; let float32_bits: [UInt32] }
        let grids: [Grid]
    }

    @Test func bitIdenticalToTheOfficialGrid() throws {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("timestep-grids.json")
        let file = try JSONDecoder().decode(File.self, from: try Data(contentsOf: url))
        #expect(file.grids.count >= 50)
        for g in file.grids {
            let ours = try TimestepGrid.make(points: g.points, shift: g.shift).map(\.bitPattern)
            #expect(ours == g.float32_bits, "points \(g.points), shift \(g.shift)")
        }
    }
}
