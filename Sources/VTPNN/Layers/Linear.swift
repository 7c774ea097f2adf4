import VTPTensor

/// y = x·Wᵀ + b. Keys: `weight` [out, in], `bias` [out].
public final class Linear: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public var items: [ModuleItem] { [.parameter("weight", weight), .parameter("bias", bias)] }

    /// Weights ~ truncated normal(0, `std`) (the DINOv2/v3 ViT init), bias zero.
    public init(_ inputDimensions: Int, _ outputDimensions: Int, bias: Bool = true, std: Float = 0.02, rng: inout RNG) {
        weight = Parameter(Tensor.randomTruncatedNormal([outputDimensions, inputDimensions], std: std, rng: &rng))
        self.bias = bias ? Parameter(Tensor.zeros([outputDimensions])) : nil
    }

    public var inputDimensions: Int { weight.shape[1] }
    public var outputDimensions: Int { weight.shape[0] }

    /// x [..., in] → [..., out].
    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight.value, bias?.value) }
}

/// 2-D convolution. Keys: `weight` [O, C, kH, kW], `bias` [O].
public final class Conv2d: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int, padding: Int
    public var items: [ModuleItem] { [.parameter("weight", weight), .parameter("bias", bias)] }

    /// PyTorch's default init, U(−1/√fan_in, 1/√fan_in) for weight and bias; or, with `std`, weights from a
    /// truncated normal(0, std) and zero bias.
    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
                std: Float? = nil, rng: inout RNG) {
        let shape = [outChannels, inChannels, kernel, kernel]
        let fanIn = Float(inChannels * kernel * kernel), bound = 1 / fanIn.squareRoot()
        if let std {
            weight = Parameter(Tensor.randomTruncatedNormal(shape, std: std, rng: &rng))
            self.bias = bias ? Parameter(Tensor.zeros([outChannels])) : nil
        } else {
            weight = Parameter(Tensor.randomUniform(shape, -bound, bound, rng: &rng))
            self.bias = bias ? Parameter(Tensor.randomUniform([outChannels], -bound, bound, rng: &rng)) : nil
        }
        self.stride = stride
        self.padding = padding
    }

    /// x [B, C, H, W] → [B, O, H', W'].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.conv2d(weight.value, bias?.value, stride: stride, padding: padding)
    }
}

/// Rows of a table. Key: `weight` [count, dim].
public final class Embedding: Module {
    public let weight: Parameter
    public var items: [ModuleItem] { [.parameter("weight", weight)] }

    public init(_ count: Int, _ dimensions: Int, std: Float = 0.02, rng: inout RNG) {
        weight = Parameter(Tensor.randomNormal([count, dimensions], std: std, rng: &rng))
    }

    /// ids (row-major, `shape`) → shape + [dim].
    public func callAsFunction(_ ids: [Int], shape: [Int]) -> Tensor { weight.value.gatherRows(ids, indexShape: shape) }
}
