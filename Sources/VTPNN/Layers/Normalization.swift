import VTPTensor

/// LayerNorm over the last axis. Keys: `weight`, `bias` [dim] (absent when not affine).
public final class LayerNorm: Module {
    public let weight: Parameter?
    public let bias: Parameter?
    public let eps: Float
    public var items: [ModuleItem] { [.parameter("weight", weight), .parameter("bias", bias)] }

    public init(_ dimensions: Int, eps: Float, affine: Bool = true) {
        weight = affine ? Parameter(Tensor.ones([dimensions])) : nil
        bias = affine ? Parameter(Tensor.zeros([dimensions])) : nil
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(weight: weight?.value, bias: bias?.value, eps: eps) }
}

/// RMSNorm over the last axis: x/√(mean(x²) + ε)·w. Key: `weight` [dim].
public final class RMSNorm: Module {
    public let weight: Parameter
    public let eps: Float
    public var items: [ModuleItem] { [.parameter("weight", weight)] }

    public init(_ dimensions: Int, eps: Float = 1e-5) {
        weight = Parameter(Tensor.ones([dimensions]))
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.rmsNorm(weight: weight.value, eps: eps) }
}

/// A norm chosen by configuration name, as the official code's `norm_layer_dict`:
/// "layernorm" (eps 1e-6), "layernormbf16" (eps 1e-5), "rmsnorm" (eps 1e-5).
public enum NormKind: String, Sendable, CaseIterable, Codable {
    case layernorm, layernormbf16, rmsnorm

    public func make(_ dimensions: Int) -> Module & NormLayer {
        switch self {
        case .layernorm: return LayerNorm(dimensions, eps: 1e-6)
        case .layernormbf16: return LayerNorm(dimensions, eps: 1e-5)
        case .rmsnorm: return RMSNorm(dimensions, eps: 1e-5)
        }
    }
}

/// A module that normalises the last axis.
public protocol NormLayer: AnyObject {
    func callAsFunction(_ x: Tensor) -> Tensor
}

extension LayerNorm: NormLayer {}
extension RMSNorm: NormLayer {}

/// Per-channel scale γ·x. Key: `gamma` [dim].
public final class LayerScale: Module {
    public let gamma: Parameter
    public var items: [ModuleItem] { [.parameter("gamma", gamma)] }

    public init(_ dimensions: Int, initValue: Float) {
        gamma = Parameter(Tensor(repeating: initValue, shape: [dimensions]))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x * gamma.value }
}
