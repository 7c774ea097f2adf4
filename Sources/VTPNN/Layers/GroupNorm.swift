import VTPTensor

/// Group normalisation over [B, C, H, W]: each sample's channels are split into `groups` groups, each normalised
/// to zero mean and unit variance over (C/groups, H, W), then scaled and shifted per channel.
/// Keys: `weight`, `bias` [C] (the names BatchNorm2d's affine parameters have).
public final class GroupNorm: Module {
    public let weight: Parameter
    public let bias: Parameter
    public let groups: Int
    public let eps: Float
    public var items: [ModuleItem] { [.parameter("weight", weight), .parameter("bias", bias)] }

    /// `weight` ~ N(1, 0.02) and `bias` = 0 (taming's `weights_init` for its norm layers).
    public init(_ channels: Int, groups: Int, eps: Float = 1e-5, rng: inout RNG) {
        precondition(groups > 0 && channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups")
        weight = Parameter(Tensor.randomNormal([channels], mean: 1, std: 0.02, rng: &rng))
        bias = Parameter(Tensor.zeros([channels]))
        self.groups = groups
        self.eps = eps
    }

    /// x [B, C, H, W] → same shape.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        // A group is one row: LayerNorm without affine over the row is exactly the group statistics.
        let n = x.reshaped([b * groups, c / groups * h * w]).layerNorm(weight: nil, bias: nil, eps: eps)
        return n.reshaped([b, c, h, w]) * weight.value.reshaped([1, c, 1, 1]) + bias.value.reshaped([1, c, 1, 1])
    }
}
