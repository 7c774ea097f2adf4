import Testing
@testable import VTPTensor

/// Finite-difference checks for every differentiable op (the rules are in GradientRules.swift).
@Suite struct GradientTests {
    @Test func arithmeticWithBroadcasting() {
        let a = randn([3, 4], seed: 1), b = randn([4], seed: 2), c = randn([3, 1], seed: 3)
        checkGradients("add", [a, b]) { $0[0] + $0[1] }
        checkGradients("sub", [a, c]) { $0[0] - $0[1] }
        checkGradients("mul", [a, b]) { $0[0] * $0[1] }
        let pos = randn([4], seed: 4).abs() + 0.5
        checkGradients("div", [a, pos]) { $0[0] / $0[1] }
        checkGradients("scalar ops", [a]) { ($0[0] * 3 + 1) / 2 - 0.5 }
        checkGradients("pow", [pos]) { $0[0].pow(3) }
        checkGradients("pow2", [a]) { $0[0].pow(2) }
    }

    @Test func elementwiseFunctions() {
        let x = randn([2, 5], seed: 5)
        let pos = x.abs() + 0.3
        checkGradients("exp", [x]) { $0[0].exp() }
        checkGradients("log", [pos]) { $0[0].log() }
        checkGradients("sqrt", [pos]) { $0[0].sqrt() }
        checkGradients("rsqrt", [pos]) { $0[0].rsqrt() }
        checkGradients("abs", [x + 0.05]) { $0[0].abs() }  // keep away from the kink
        checkGradients("sigmoid", [x]) { $0[0].sigmoid() }
        checkGradients("tanh", [x]) { $0[0].tanh() }
        checkGradients("relu", [x + 0.05]) { $0[0].relu() }
        checkGradients("silu", [x]) { $0[0].silu() }
        checkGradients("gelu", [x]) { $0[0].gelu() }
        checkGradients("gelu tanh", [x]) { $0[0].gelu(approximate: true) }
        checkGradients("clamp", [x * 2]) { $0[0].clamped(-0.7, 0.9) }
    }

    @Test func reductionsAndShapes() {
        let x = randn([2, 3, 4], seed: 6)
        checkGradients("sum all", [x]) { $0[0].sum() }
        checkGradients("sum axes", [x]) { $0[0].sum(axes: [0, 2]) }
        checkGradients("mean keepdims", [x]) { $0[0].mean(axis: 1, keepDims: true) }
        checkGradients("reshape", [x]) { $0[0].reshaped([6, 4]) * $0[0].reshaped([6, 4]) }
        checkGradients("permute", [x]) { $0[0].permuted([2, 0, 1]) }
        checkGradients("transpose", [x]) { $0[0].transposed() }
        let y = randn([2, 2, 4], seed: 7)
        checkGradients("concat", [x, y]) { Tensor.concat([$0[0], $0[1]], axis: 1) }
        checkGradients("slice", [x]) { $0[0].slice(axis: 2, 1..<3) }
        checkGradients("split", [x]) { let p = $0[0].split([1, 2], axis: 1); return p[0] * p[1].sum(axis: 1, keepDims: true) }
        let table = randn([5, 3], seed: 8)
        checkGradients("gatherRows", [table]) { $0[0].gatherRows([4, 0, 4, 2], indexShape: [2, 2]) }
        let src = randn([3, 3], seed: 9)
        checkGradients("scatterAddRows", [table, src]) { $0[0].scatterAddRows([1, 1, 3], $0[1]) }
        checkGradients("expand", [randn([3, 1], seed: 10)]) { $0[0].expanded(to: [2, 3, 4]) }
    }

    /// expand against a direct index map: trailing broadcast axes (filled runs: a scalar, [B, C, 1, 1]), trailing
    /// full axes (copied runs) and a mix.
    @Test func expandMatchesDirectIndexing() {
        for (from, to) in [([1], [2, 3, 4]), ([2, 3, 1, 1], [2, 3, 4, 5]), ([1, 3, 1], [2, 3, 4]), ([3, 1], [2, 3, 4]),
                           ([1, 4], [3, 4]), ([2, 1, 3], [2, 5, 3])] {
            let src = randn(from, seed: 20)
            let got = src.expanded(to: to).scalars
            let padded = [Int](repeating: 1, count: to.count - from.count) + from
            var want: [Float] = []
            for flat in 0..<to.reduce(1, *) {
                var rem = flat, srcIndex = 0
                for a in 0..<to.count {
                    let inner = to[(a + 1)...].reduce(1, *), idx = rem / inner
                    rem %= inner
                    srcIndex = srcIndex * padded[a] + (padded[a] == 1 ? 0 : idx)
                }
                want.append(src.scalars[srcIndex])
            }
            #expect(got == want, "\(from) → \(to)")
        }
    }

    @Test func products() {
        let a = randn([2, 3, 4], seed: 11), b = randn([2, 4, 5], seed: 12)
        checkGradients("matmul batched", [a, b]) { $0[0].matmul($0[1]) }
        let at = randn([2, 4, 3], seed: 13), bt = randn([2, 5, 4], seed: 14)
        checkGradients("matmul Aᵀ", [at, b]) { $0[0].matmul($0[1], transposeA: true) }
        checkGradients("matmul Bᵀ", [a, bt]) { $0[0].matmul($0[1], transposeB: true) }
        checkGradients("matmul AᵀBᵀ", [at, bt]) { $0[0].matmul($0[1], transposeA: true, transposeB: true) }
        let w2 = randn([4, 6], seed: 15)
        checkGradients("matmul shared B", [a, w2]) { $0[0].matmul($0[1]) }
        let w = randn([6, 4], seed: 16), bias = randn([6], seed: 17)
        checkGradients("linear", [a, w, bias]) { $0[0].linear($0[1], $0[2]) }
        checkGradients("linear no bias", [a, w]) { $0[0].linear($0[1]) }
        let img = randn([2, 3, 7, 6], seed: 18), k = randn([4, 3, 3, 3], seed: 19, scale: 0.3), cb = randn([4], seed: 20)
        checkGradients("conv2d 3x3 s2 p1", [img, k, cb]) { $0[0].conv2d($0[1], $0[2], stride: 2, padding: 1) }
        let k1 = randn([5, 3, 1, 1], seed: 21)
        checkGradients("conv2d 1x1", [img, k1]) { $0[0].conv2d($0[1]) }
        let sh = randn([1, 8, 2, 3], seed: 22)
        checkGradients("pixelShuffle", [sh]) { $0[0].pixelShuffle(2) }
    }

    @Test func neuralNetworkOps() {
        let x = randn([3, 8], seed: 23, scale: 2)
        checkGradients("softmax", [x]) { $0[0].softmax() }
        checkGradients("logSoftmax", [x]) { $0[0].logSoftmax() }
        let w = randn([8], seed: 24) + 1, b = randn([8], seed: 25)
        checkGradients("layerNorm", [x, w, b]) { $0[0].layerNorm(weight: $0[1], bias: $0[2], eps: 1e-5) }
        checkGradients("layerNorm no affine", [x]) { $0[0].layerNorm(weight: nil, bias: nil, eps: 1e-6) }
        checkGradients("rmsNorm", [x, w]) { $0[0].rmsNorm(weight: $0[1], eps: 1e-5) }
        let u = randn([3, 8], seed: 26)
        checkGradients("swiglu", [x, u]) { $0[0].swiglu($0[1]) }
        let xu = randn([3, 2, 10], seed: 39)
        checkGradients("swigluHalves", [xu]) { $0[0].swigluHalves() }
        let halves = xu.split([5, 5], axis: 2)
        #expect(maxAbsDifference(xu.swigluHalves(), halves[0].swiglu(halves[1])) == 0, "halves in place = split then swiglu")
        checkGradients("l2Normalize", [x]) { $0[0].l2Normalized() }
        checkGradients("crossEntropy", [x]) { $0[0].crossEntropy(targets: [1, 7, 0]) }
        let t = randn([3, 8], seed: 27).softmax()
        checkGradients("softCrossEntropy", [x, t]) { $0[0].softCrossEntropy(targets: $0[1]) }
        let y = randn([3, 8], seed: 28)
        checkGradients("l1Loss", [x, y]) { $0[0].l1Loss($0[1]) }
        checkGradients("mseLoss", [x, y]) { $0[0].mseLoss($0[1]) }
    }

    @Test func attentionAndRope() {
        let q = randn([2, 2, 5, 4], seed: 29), k = randn([2, 2, 6, 4], seed: 30), v = randn([2, 2, 6, 4], seed: 31)
        checkGradients("attention", [q, k, v]) { Tensor.attention(q: $0[0], k: $0[1], v: $0[2]) }
        let mask = randn([5, 6], seed: 32)
        checkGradients("attention masked", [q, k, v]) { Tensor.attention(q: $0[0], k: $0[1], v: $0[2], mask: mask) }
        let k5 = randn([2, 2, 5, 4], seed: 33), v5 = randn([2, 2, 5, 4], seed: 34)
        checkGradients("attention causal", [q, k5, v5]) { Tensor.attention(q: $0[0], k: $0[1], v: $0[2], causal: true) }
        let x = randn([1, 2, 5, 4], seed: 35)
        let ang = randn([4, 4], seed: 36)
        let sin = Tensor(ang.scalars.map { Foundation.sin($0) }, shape: [4, 4])
        let cos = Tensor(ang.scalars.map { Foundation.cos($0) }, shape: [4, 4])
        checkGradients("rope", [x]) { $0[0].rope(sin: sin, cos: cos, prefix: 1) }
        // Fused head split (+ RoPE) and packed attention equal the unfused ops.
        let qkv = randn([2, 5, 3 * 2 * 4], seed: 37)
        let fused = qkv.splitHeads(2, rope: (sin, cos, 1, false))
        let parts = qkv.reshaped([2, 5, 3, 2, 4]).permuted([2, 0, 3, 1, 4]).split([1, 1, 1], axis: 0).map { $0.reshaped([2, 2, 5, 4]) }
        let ref = Tensor.concat([parts[0].rope(sin: sin, cos: cos, prefix: 1), parts[1].rope(sin: sin, cos: cos, prefix: 1), parts[2]], axis: 0)
        #expect(maxAbsDifference(fused, ref.reshaped([3, 2, 2, 5, 4])) == 0)
        let packedOut = Tensor.attention(packed: fused)
        let unfused = Tensor.attention(q: ref.slice(axis: 0, 0..<2).reshaped([2, 2, 5, 4]), k: ref.slice(axis: 0, 2..<4).reshaped([2, 2, 5, 4]),
                                       v: ref.slice(axis: 0, 4..<6).reshaped([2, 2, 5, 4]))
        #expect(maxAbsDifference(packedOut, unfused) < 1e-6)
        checkGradients("splitHeads + rope", [qkv]) { $0[0].splitHeads(2, rope: (sin, cos, 1, false)) }
        checkGradients("splitHeads", [qkv]) { $0[0].splitHeads(2) }
        checkGradients("packed attention", [qkv]) { Tensor.attention(packed: $0[0].splitHeads(2), causal: true) }
        checkGradients("fused qkv attention + rope", [qkv]) {
            Tensor.attention(qkv: $0[0], heads: 2, rope: HeadRope(sin: sin, cos: cos, prefix: 1), causal: true)
        }
        checkGradients("fused qkv attention, interleaved rope, mask", [qkv]) {
            Tensor.attention(qkv: $0[0], heads: 2, rope: HeadRope(sin: sin, cos: cos, prefix: 1, interleaved: true), mask: randn([5, 5], seed: 38))
        }
    }

    @Test func poolingAndExtrema() {
        let x = randn([2, 3, 7, 6], seed: 41)
        checkGradients("maxPool2d", [x]) { $0[0].maxPool2d(kernel: 2) }
        checkGradients("maxPool2d 3x3 s2 p1", [x]) { $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1) }
        checkGradients("avgPool2d", [x]) { $0[0].avgPool2d(kernel: 2) }
        checkGradients("max axis", [x]) { $0[0].max(axis: 2) }
        checkGradients("min axis keepdims", [x]) { $0[0].min(axis: -1, keepDims: true) }
        checkGradients("leakyRelu", [x + 0.05]) { $0[0].leakyRelu(0.2) }
        // Known answers.
        let t = Tensor([1, 5, 2, 7, 3, 0, 4, 6, 8], shape: [1, 1, 3, 3])
        #expect(t.maxPool2d(kernel: 2, stride: 1).scalars == [7, 5, 7, 8])
        #expect(t.reshaped([3, 3]).max(axis: 1).scalars == [5, 7, 8])
        #expect(t.reshaped([3, 3]).min(axis: 0).scalars == [1, 3, 0])
        #expect(Tensor([-1, 2], shape: [2]).leakyRelu(0.1).scalars == [-0.1, 2])
    }

    @Test func gradientsAccumulateIntoParameters() {
        // y = Σ (w·x)  ⇒  dy/dw = x ; two backward passes accumulate 2x.
        let p = Parameter(Tensor([1, 2, 3], shape: [3]))
        let x = Tensor([4, 5, 6], shape: [3])
        (p.value * x).sum().backward()
        (p.value * x).sum().backward()
        #expect(p.grad?.scalars == [8, 10, 12])
        p.zeroGrad()
        #expect(p.grad == nil)
        p.requiresGrad = false
        (p.value * x).sum().backward()
        #expect(p.grad == nil)
    }

    /// The product rules skip the gradients of inputs that do not want one; the others must not change.
    @Test func constantInputsGetNoGradientAndChangeNothingElse() {
        let x = randn([2, 3, 6, 6], seed: 41), w = randn([4, 3, 3, 3], seed: 42), b = randn([4], seed: 43)
        let a = randn([5, 6], seed: 44), m = randn([6, 4], seed: 45), lw = randn([3, 6], seed: 46)
        func grads(_ constant: Set<Int>) -> [Tensor?] {
            let leaves = [x, w, b, a, m, lw].enumerated().map { constant.contains($0.offset) ? $0.element : $0.element.requiringGrad() }
            let loss = leaves[0].conv2d(leaves[1], leaves[2], stride: 2, padding: 1).pow(2).sum()
                + leaves[3].matmul(leaves[4]).pow(2).sum() + leaves[3].linear(leaves[5]).pow(2).sum()
            let g = loss.backward()
            return leaves.map { g[$0] }
        }
        let all = grads([]), some = grads([0, 3]), others = grads([1, 4, 5])
        #expect(some[0] == nil && some[3] == nil && others[1] == nil && others[4] == nil && others[5] == nil)
        for i in [1, 2, 4, 5] { #expect(some[i]!.scalars == all[i]!.scalars, "input \(i)") }
        for i in [0, 2, 3] { #expect(others[i]!.scalars == all[i]!.scalars, "input \(i)") }
    }

    @Test func noGradScopeRecordsNothing() {
        let x = randn([3], seed: 40).requiringGrad()
        let y = withNoGrad { x * 2 }
        #expect(!y.requiresGrad)
        #expect((x * 2).requiresGrad)
    }
}

import Foundation
