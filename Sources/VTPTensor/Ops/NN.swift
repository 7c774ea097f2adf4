import CVTPKernels
import Foundation

/// Neural-network ops on the last axis: softmax, norms, SwiGLU, L2 normalisation and losses.
extension Tensor {
    /// Softmax over the last axis.
    public func softmax() -> Tensor {
        var (y, _) = SoftmaxKernels.forward(self, log: false)
        let saved = y
        Tensor.record(&y, [self], .softmax(saved))
        return y
    }

    /// Log-softmax over the last axis.
    public func logSoftmax() -> Tensor {
        var (y, _) = SoftmaxKernels.forward(self, log: true)
        let saved = y
        Tensor.record(&y, [self], .logSoftmax(saved))
        return y
    }

    /// LayerNorm over the last axis: (x − μ)/√(σ² + ε)·w + b. `weight`, `bias`: [D] or nil.
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        normalized(weight: weight, bias: bias, eps: eps, rms: false)
    }

    /// RMSNorm over the last axis: x/√(mean(x²) + ε)·w.
    public func rmsNorm(weight: Tensor?, eps: Float) -> Tensor {
        normalized(weight: weight, bias: nil, eps: eps, rms: true)
    }

    private func normalized(weight: Tensor?, bias: Tensor?, eps: Float, rms: Bool) -> Tensor {
        let d = shape.last ?? 1
        if let weight { precondition(weight.shape == [d], "norm: weight \(weight.shape) ≠ [\(d)]") }
        if let bias { precondition(bias.shape == [d], "norm: bias \(bias.shape) ≠ [\(d)]") }
        var (y, mean, rstd) = NormKernels.forward(self, weight: weight, bias: bias, eps: eps, rms: rms)
        var inputs = [self]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        Tensor.record(&y, inputs, .norm(x: detached(), weight: weight?.detached(), hasBias: bias != nil,
                                        mean: mean, rstd: rstd, rms: rms))
        return y
    }

    /// SwiGLU over the two halves of the last axis: self [..., 2H] = (gate | up) → silu(gate) · up [..., H]. The same
    /// as `split([H, H], axis: -1)` then `swiglu`, without copying the halves out (LightningDiT's fused `w12`).
    public func swigluHalves() -> Tensor {
        let w = shape.last ?? 0
        precondition(rank >= 1 && w % 2 == 0, "swigluHalves: the last axis of \(shape) must have an even size")
        var outShape = shape
        outShape[rank - 1] = w / 2
        var out = Tensor(uninitialized: outShape)
        Activation.swiglu(gate: data, up: data + w / 2, ld: w, rows: w == 0 ? 0 : count / w, width: w / 2, into: out)
        Tensor.record(&out, [self], .swigluHalves(detached()))
        return out
    }

    /// SwiGLU gate: silu(self) · up (same shapes).
    public func swiglu(_ up: Tensor) -> Tensor {
        precondition(shape == up.shape, "swiglu: gate \(shape) and up \(up.shape) differ")
        var out = Tensor(uninitialized: shape)
        let w = shape.last ?? 1
        Activation.swiglu(gate: data, up: up.data, ld: w, rows: w == 0 ? 0 : count / w, width: w, into: out)
        Tensor.record(&out, [self, up], .swiglu(detached(), up.detached()))
        return out
    }

    /// x / max(‖x‖₂, eps) over the last axis (as `torch.nn.functional.normalize`).
    public func l2Normalized(eps: Float = 1e-12) -> Tensor {
        let d = shape.last ?? 1, rows = count / Swift.max(d, 1)
        var out = Tensor(uninitialized: shape)
        let norms = Tensor(uninitialized: [rows])
        let (s, o, pn) = (data, out.data, norms.data)
        Parallel.forEach(rows, grain: 64) { r in
            var acc = 0.0
            for j in 0..<d { acc += Double(s[r * d + j]) * Double(s[r * d + j]) }
            let n = Swift.max(Float(acc.squareRoot()), eps)
            pn[r] = n
            for j in 0..<d { o[r * d + j] = s[r * d + j] / n }
        }
        let saved = out
        Tensor.record(&out, [self], .l2Normalize(saved, norms: norms, eps: eps))
        return out
    }

    /// Mean cross-entropy of logits [N, C] against class indices (each in 0..<C).
    public func crossEntropy(targets: [Int]) -> Tensor {
        precondition(rank == 2 && shape[0] == targets.count, "crossEntropy: logits \(shape) vs \(targets.count) targets")
        let c = shape[1]
        for t in targets { precondition(t >= 0 && t < c, "crossEntropy: target \(t) out of range 0..<\(c)") }
        let (logp, _) = SoftmaxKernels.forward(self, log: true)
        var loss = 0.0
        for (i, t) in targets.enumerated() { loss -= Double(logp.data[i * c + t]) }
        var out = Tensor(scalar: Float(loss / Double(Swift.max(targets.count, 1))))
        Tensor.record(&out, [self], .crossEntropy(logProbs: logp, targets: targets))
        return out
    }

    /// Mean over rows of −Σ_c p_c · log_softmax(self)_c, with `targets` [N, C] probabilities.
    public func softCrossEntropy(targets: Tensor) -> Tensor {
        precondition(shape == targets.shape, "softCrossEntropy: logits \(shape) vs targets \(targets.shape)")
        return -(targets * logSoftmax()).sum(axis: -1).mean()
    }

    /// mean |self − target|.
    public func l1Loss(_ target: Tensor) -> Tensor { (self - target).abs().mean() }
    /// mean (self − target)².
    public func mseLoss(_ target: Tensor) -> Tensor { (self - target).pow(2).mean() }
}
