import Foundation
import Testing
import VTPNN
@testable import VTPModels
import VTPTensor

/// Central finite-difference check of `f`'s gradient with respect to module parameters and inputs.
///
/// L = Σ f()·R with a fixed random R; `backward()` fills `Parameter.grad` and the inputs' gradients; up to
/// `samples` elements of each are perturbed in place by ±h (values restored after). Accumulates in Double.
///
/// `kinked`: the model has (leaky) ReLUs, so a perturbation can push an activation across its kink, which spoils the
/// central difference (the slope changes between −h and +h). Such an activation is crossed in one direction only,
/// so the element passes if the central, the forward or the backward difference matches.
func checkModelGradients(_ name: String, parameters: [(String, Parameter)], inputs: [Tensor] = [], h: Float = 1e-2,
                         atol: Float = 2e-3, rtol: Float = 2e-2, samples: Int = 12, kinked: Bool = false,
                         sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor) {
    for (_, p) in parameters { p.zeroGrad() }
    let leaves = inputs.map { $0.requiringGrad() }
    let out = f(leaves)
    var rng = RNG(seed: 99)
    let r = Tensor.randomNormal(out.shape, rng: &rng)
    let grads = (out * r).sum().backward()
    func lossValue() -> Double {
        withNoGrad {
            let y = f(inputs)
            var acc = 0.0
            for i in 0..<y.count { acc += Double(y.data[i]) * Double(r.data[i]) }
            return acc
        }
    }
    var targets: [(String, Tensor, Tensor?)] = parameters.filter { $0.1.requiresGrad }.map { ($0.0, $0.1.value, $0.1.grad) }
    targets += inputs.enumerated().map { ("input \($0.offset)", $0.element, grads[leaves[$0.offset]]) }
    var pick = RNG(seed: 7)
    for (label, x, g) in targets {
        guard let g else { Issue.record("\(name): no gradient for \(label)", sourceLocation: sourceLocation); continue }
        let elements = x.count <= samples ? Array(0..<x.count) : (0..<samples).map { _ in pick.int(below: x.count) }
        let base = kinked ? lossValue() : 0
        for e in elements {
            let old = x.data[e]
            x.data[e] = old + h
            let plus = lossValue()
            x.data[e] = old - h
            let minus = lossValue()
            x.data[e] = old
            let numeric = Float((plus - minus) / Double(2 * h)), analytic = g.data[e]
            var candidates = [numeric]
            if kinked { candidates += [Float((plus - base) / Double(h)), Float((base - minus) / Double(h))] }
            #expect(candidates.contains { abs(analytic - $0) <= atol + rtol * abs($0) },
                    "\(name): \(label)[\(e)]: analytic \(analytic) vs numeric \(candidates)", sourceLocation: sourceLocation)
        }
    }
    for (_, p) in parameters { p.zeroGrad() }
}

@Suite struct DINOHeadTests {
    @Test func keysAndShapesAreDINOv2s() {
        var rng = RNG(seed: 1)
        let head = DINOHead(config: DINOHeadConfig(inputDimensions: 8, prototypes: 5, layers: 3, hiddenDimensions: 6,
                                                   bottleneckDimensions: 4), rng: &rng)
        let got = head.namedParameters().map { "\($0.0) \($0.1.shape)" }
        #expect(got == ["mlp.0.weight [6, 8]", "mlp.0.bias [6]", "mlp.2.weight [6, 6]", "mlp.2.bias [6]",
                        "mlp.4.weight [4, 6]", "mlp.4.bias [4]", "last_layer.weight_g [5, 1]", "last_layer.weight_v [5, 4]"])
        let one = DINOHead(config: DINOHeadConfig(inputDimensions: 8, prototypes: 5, layers: 1, bottleneckDimensions: 4), rng: &rng)
        #expect(one.namedParameters().map(\.0) == ["mlp.weight", "mlp.bias", "last_layer.weight_g", "last_layer.weight_v"])
        // Defaults (dinov2): hidden 2048, bottleneck 256, 65536 prototypes, 3 layers, biases; weight_g frozen at 1.
        let c = DINOHeadConfig(inputDimensions: 1024)
        #expect(c.prototypes == 65536 && c.hiddenDimensions == 2048 && c.bottleneckDimensions == 256 && c.layers == 3 && c.mlpBias)
        #expect(!head.lastLayer.weightG.requiresGrad && head.lastLayer.weightG.value.scalars.allSatisfy { $0 == 1 })
        #expect(head.layers.allSatisfy { $0.bias!.value.scalars.allSatisfy { $0 == 0 } })
        // The config round-trips with dinov2's argument names.
        let json = try! JSONEncoder().encode(c)
        #expect(String(decoding: json, as: UTF8.self).contains("\"bottleneck_dim\":256"))
        #expect(try! JSONDecoder().decode(DINOHeadConfig.self, from: json) == c)
    }

    // One layer: h = 2x, so ẑ = x/‖x‖ = (0.6, 0.8) for x = (3, 4). Prototypes v = [(1, 0), (0, 3), (3, 4)] normalise to
    // (1, 0), (0, 1), (0.6, 0.8): logits = (0.6, 0.8, 0.36 + 0.64 = 1).
    @Test func handComputedForward() throws {
        var rng = RNG(seed: 2)
        let head = DINOHead(config: DINOHeadConfig(inputDimensions: 2, prototypes: 3, layers: 1, bottleneckDimensions: 2), rng: &rng)
        try head.load(from: TensorDictionary([
            "mlp.weight": Tensor([2, 0, 0, 2], shape: [2, 2]), "mlp.bias": Tensor.zeros([2]),
            "last_layer.weight_g": Tensor.ones([3, 1]), "last_layer.weight_v": Tensor([1, 0, 0, 3, 3, 4], shape: [3, 2]),
        ]))
        let y = head(Tensor([3, 4], shape: [1, 2]))
        for (a, b) in zip(y.scalars, [Float(0.6), 0.8, 1]) { #expect(abs(a - b) < 1e-6) }
        // weight_g scales each prototype: g = 2 doubles the logits.
        head.lastLayer.weightG.value = Tensor([2, 2, 2], shape: [3, 1])
        for (a, b) in zip(head(Tensor([3, 4], shape: [1, 2])).scalars, [Float(1.2), 1.6, 2]) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func threeLayerForwardMatchesTheFormula() {
        var rng = RNG(seed: 3)
        let head = DINOHead(config: DINOHeadConfig(inputDimensions: 5, prototypes: 7, layers: 3, hiddenDimensions: 6,
                                                   bottleneckDimensions: 4), rng: &rng)
        let x = Tensor.randomNormal([3, 5], rng: &rng)
        let l = head.layers
        let h = l[2](l[1](l[0](x).gelu()).gelu()).l2Normalized()
        let w = head.lastLayer.weightV.value.l2Normalized()
        let expected = h.matmul(w, transposeB: true)
        let got = head(x)
        #expect(got.shape == [3, 7])
        for (a, b) in zip(got.scalars, expected.scalars) { #expect(abs(a - b) < 1e-6) }
        // Every prototype has unit norm; the logits are cosines, so |logit| ≤ 1.
        let norms = (head.lastLayer.weight * head.lastLayer.weight).sum(axis: 1).scalars
        for n in norms { #expect(abs(n - 1) < 1e-5) }
        #expect(got.scalars.allSatisfy { abs($0) <= 1 + 1e-6 })
    }

    @Test func lastLayerCanBeFrozenForTheFirstIterations() {
        var rng = RNG(seed: 4)
        let head = DINOHead(config: DINOHeadConfig(inputDimensions: 4, prototypes: 3, layers: 2, hiddenDimensions: 5,
                                                   bottleneckDimensions: 3), rng: &rng)
        let x = Tensor.randomNormal([2, 4], rng: &rng)
        head(x).sum().backward()
        #expect(head.lastLayer.weightV.grad != nil && head.lastLayer.weightG.grad == nil)
        #expect(head.dropLastLayerGradients(iteration: 3, freezeIterations: 10))
        #expect(head.lastLayer.weightV.grad == nil && head.layers[0].weight.grad != nil)
        head(x).sum().backward()
        #expect(!head.dropLastLayerGradients(iteration: 10, freezeIterations: 10))
        #expect(head.lastLayer.weightV.grad != nil)
    }

    @Test func finiteDifferenceGradients() {
        var rng = RNG(seed: 5)
        let head = DINOHead(config: DINOHeadConfig(inputDimensions: 4, prototypes: 5, layers: 3, hiddenDimensions: 6,
                                                   bottleneckDimensions: 3), rng: &rng)
        // Larger weights than the 0.02 init so that the GELUs are not linear.
        for (_, p) in head.namedParameters() where p.requiresGrad {
            p.value = Tensor.randomNormal(p.shape, std: 0.5, rng: &rng)
        }
        checkModelGradients("DINOHead", parameters: head.namedParameters(), inputs: [Tensor.randomNormal([3, 4], rng: &rng)],
                            h: 1e-3) { x in head(x[0]) }
    }
}
