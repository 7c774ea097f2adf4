import VTPTensor

/// AdamW (decoupled weight decay, bias-corrected moments), as `torch.optim.AdamW`:
/// θ ← θ − lr·(m̂/(√v̂ + ε) + wd·θ), m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g².
public final class AdamW {
    public struct Group {
        public var parameters: [Parameter]
        public var weightDecay: Float
        public var lrScale: Float
        public init(_ parameters: [Parameter], weightDecay: Float, lrScale: Float = 1) {
            self.parameters = parameters
            self.weightDecay = weightDecay
            self.lrScale = lrScale
        }
    }

    public var groups: [Group]
    public var lr: Float
    public var beta1: Float, beta2: Float, eps: Float
    /// Steps taken (for bias correction).
    public private(set) var step = 0
    /// First and second moments per parameter (same order as `allParameters`).
    public var m: [Tensor], v: [Tensor]

    public init(groups: [Group], lr: Float, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8) {
        self.groups = groups
        self.lr = lr
        (self.beta1, self.beta2, self.eps) = (beta1, beta2, eps)
        let ps = groups.flatMap(\.parameters)
        m = ps.map { Tensor.zeros($0.shape) }
        v = ps.map { Tensor.zeros($0.shape) }
    }

    /// One group: decay everything with `weightDecay` except 1-D tensors (biases, norms, scales) when
    /// `skipOneDimensional`.
    public convenience init(_ parameters: [Parameter], lr: Float, weightDecay: Float, skipOneDimensional: Bool = true,
                            beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8) {
        let decay = parameters.filter { !skipOneDimensional || $0.shape.count > 1 }
        let noDecay = parameters.filter { skipOneDimensional && $0.shape.count <= 1 }
        self.init(groups: [Group(decay, weightDecay: weightDecay), Group(noDecay, weightDecay: 0)],
                  lr: lr, beta1: beta1, beta2: beta2, eps: eps)
    }

    public var allParameters: [Parameter] { groups.flatMap(\.parameters) }

    /// Restores the step counter (when resuming from a checkpoint).
    public func restore(step: Int) { self.step = step }

    /// Applies one update from the accumulated gradients (parameters without a gradient are skipped).
    public func update() {
        step += 1
        let bc1 = 1 - Foundation.pow(Double(beta1), Double(step)), bc2 = 1 - Foundation.pow(Double(beta2), Double(step))
        var index = 0
        for g in groups {
            for p in g.parameters {
                defer { index += 1 }
                guard let grad = p.grad else { continue }
                let lrG = lr * g.lrScale
                OptimizerKernels.adamw(param: p.value, grad: grad, m: m[index], v: v[index], lr: lrG,
                                       beta1: beta1, beta2: beta2, eps: eps, weightDecay: g.weightDecay,
                                       biasCorrection1: Float(bc1), biasCorrection2: Float(bc2))
            }
        }
    }
}

import Foundation
