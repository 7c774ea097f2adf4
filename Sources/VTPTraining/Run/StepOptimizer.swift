import Foundation
import VTPNN
import VTPTensor

/// The optimizer of a step's trainable parameters: AdamW with two groups (weight decay on matrices only, as
/// DINOv2 and OpenCLIP: biases, norms, scales, tokens and rank-≤1 embeddings are not decayed), the scheduled
/// learning rate and weight decay, global-norm gradient clipping, the NaN guard on the gradient norm, and its
/// checkpoint entries (moments under `prefix`, keyed by parameter name).
public final class StepOptimizer {
    public let adamw: AdamW
    /// Parameter names in optimizer order (the checkpoint keys of the moments).
    public let names: [String]
    /// Clip the global gradient norm to this (0 = off).
    public let gradClip: Double
    /// Checkpoint prefix of the moments.
    public let prefix: String
    let parameters: [Parameter]

    /// - Parameters:
    ///   - named: the trainable parameters with their names.
    ///   - decayAll: decay every parameter (e.g. a discriminator with no weight decay passes weightDecay 0 anyway).
    public init(named: [(String, Parameter)], lr: Double, weightDecay: Double, betas: [Double], eps: Double,
                gradClip: Double, prefix: String = "optimizer") {
        func decays(_ name: String, _ p: Parameter) -> Bool {
            p.shape.count > 1 && !name.hasSuffix("cls_token") && !name.hasSuffix("mask_token")
        }
        let decay = named.filter { decays($0.0, $0.1) }, noDecay = named.filter { !decays($0.0, $0.1) }
        adamw = AdamW(groups: [.init(decay.map(\.1), weightDecay: Float(weightDecay)), .init(noDecay.map(\.1), weightDecay: 0)],
                      lr: Float(lr), beta1: Float(betas[0]), beta2: Float(betas[1]), eps: Float(eps))
        names = decay.map(\.0) + noDecay.map(\.0)
        parameters = adamw.allParameters
        self.gradClip = gradClip
        self.prefix = prefix
    }

    /// The optimizer `optimizer:` describes, for `named`.
    public convenience init(named: [(String, Parameter)], section o: OptimizerSection) {
        self.init(named: named, lr: o.lr, weightDecay: o.weightDecay, betas: o.betas, eps: o.eps, gradClip: o.gradClip)
    }

    /// Global L2 norm of the gradients.
    public var gradientNorm: Double { OptimizerKernels.sumOfSquares(parameters.compactMap(\.grad)).squareRoot() }

    /// Checks the gradient norm (NaN guard, reported as step `step + 1`), clips the gradients to `gradClip`, and
    /// applies one AdamW update at `lr` with `weightDecay` on the decayed group. Returns the norm before clipping.
    @discardableResult
    public func update(step: Int, lr: Double, weightDecay: Double) throws -> Double {
        let norm = gradientNorm
        try NaNGuard.check(step: step + 1, terms: [], gradNorm: norm)
        if gradClip > 0 && norm > gradClip {
            let s = Float(gradClip / (norm + 1e-6))
            for p in parameters { if let g = p.grad { OptimizerKernels.scale(g, by: s) } }
        }
        adamw.lr = Float(lr)
        adamw.groups[0].weightDecay = Float(weightDecay)
        adamw.update()
        return norm
    }

    public func save(into state: inout TrainingState) { state.add(optimizer: adamw, prefix: prefix, names: names) }

    public func restore(from state: TrainingState) throws { try state.restore(optimizer: adamw, prefix: prefix, names: names) }
}
