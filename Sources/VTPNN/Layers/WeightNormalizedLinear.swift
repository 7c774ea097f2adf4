import VTPTensor

/// A bias-free linear layer with PyTorch weight normalisation (`torch.nn.utils.weight_norm`, dim 0).
///
/// ```
/// W[k, :] = g[k] · v[k, :] / ‖v[k, :]‖      y = x·Wᵀ
/// ```
/// Keys: `weight_g` [K, 1], `weight_v` [K, in]. In the DINO head `g` is filled with 1 and frozen, so each prototype
/// row is the unit vector v/‖v‖.
public final class WeightNormalizedLinear: Module {
    public let weightG: Parameter
    public let weightV: Parameter
    public var items: [ModuleItem] { [.parameter("weight_g", weightG), .parameter("weight_v", weightV)] }

    /// `v` ~ U(−1/√in, 1/√in) (PyTorch's default Linear init, which dinov2 keeps for this layer); `g` = 1.
    public init(_ inputDimensions: Int, _ outputDimensions: Int, trainableScale: Bool = false, rng: inout RNG) {
        let bound = 1 / Float(inputDimensions).squareRoot()
        weightV = Parameter(Tensor.randomUniform([outputDimensions, inputDimensions], -bound, bound, rng: &rng))
        weightG = Parameter(Tensor.ones([outputDimensions, 1]), requiresGrad: trainableScale)
    }

    /// The effective weight g·v/‖v‖ [K, in] (differentiable in both).
    public var weight: Tensor { weightV.value.l2Normalized(eps: 0) * weightG.value }

    /// x [..., in] → [..., K].
    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight) }
}
