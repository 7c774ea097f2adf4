// port of the projection head of facebookresearch/dinov2 (dinov2/layers/dino_head.py)
import VTPNN
import VTPTensor

/// The DINOv2 projection head, shared by the DINO (CLS) and iBOT (patch) losses.
///
/// ```
/// h = MLP(x)                      Linear-GELU-(Linear-GELU)×(nlayers−2)-Linear: D → hidden → … → bottleneck
/// z = h / max(‖h‖, 1e-12)
/// logits = z · Wᵀ                 W = weight-normalised prototypes [K, bottleneck], ‖W[k]‖ = 1
/// ```
/// Keys (as dinov2): `mlp.0.weight`, `mlp.0.bias`, `mlp.2.*`, …, `mlp.{2(nlayers−1)}.*` (odd indices are the
/// GELUs), or `mlp.weight`/`mlp.bias` when `nlayers` is 1; `last_layer.weight_g`, `last_layer.weight_v`.
/// Init: MLP weights truncated normal (std 0.02), biases 0; prototypes as `WeightNormalizedLinear`.
///
/// dinov2 keeps the prototypes frozen for the first `freeze_last_layer_epochs`: call `dropLastLayerGradients`
/// after `backward()` while `iteration < freezeIterations`.
public final class DINOHead: Module {
    public let config: DINOHeadConfig
    /// The MLP layers in order (GELU between them).
    public let layers: [Linear]
    /// The prototype layer.
    public let lastLayer: WeightNormalizedLinear

    public var items: [ModuleItem] {
        var mlp: [ModuleItem] = []
        if layers.count == 1 {
            mlp = [.child("mlp", layers[0])]
        } else {
            // Sequential indices: Linear at 0, 2, 4, … (GELUs in between have no parameters).
            mlp = layers.enumerated().map { .child("mlp.\(2 * $0.offset)", $0.element) }
        }
        return mlp + [.child("last_layer", lastLayer)]
    }

    public init(config: DINOHeadConfig, rng: inout RNG) {
        self.config = config
        let n = Swift.max(config.layers, 1)
        var dims = [config.inputDimensions]
        if n > 1 { dims += Array(repeating: config.hiddenDimensions, count: n - 1) }
        dims.append(config.bottleneckDimensions)
        layers = (0..<n).map { Linear(dims[$0], dims[$0 + 1], bias: config.mlpBias, std: 0.02, rng: &rng) }
        lastLayer = WeightNormalizedLinear(config.bottleneckDimensions, config.prototypes, rng: &rng)
    }

    /// The L2-normalised bottleneck features [..., bottleneck] (before the prototypes).
    public func bottleneck(_ x: Tensor) -> Tensor {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            if i < layers.count - 1 { h = h.gelu() }
        }
        return h.l2Normalized(eps: 1e-12)
    }

    /// x [..., D] → prototype logits [..., K].
    public func callAsFunction(_ x: Tensor) -> Tensor { lastLayer(bottleneck(x)) }

    /// dinov2 `cancel_gradients_last_layer`: drops the accumulated gradients of the prototype layer while
    /// `iteration < freezeIterations`. Returns whether it did.
    @discardableResult
    public func dropLastLayerGradients(iteration: Int, freezeIterations: Int) -> Bool {
        guard iteration < freezeIterations else { return false }
        lastLayer.zeroGrad()
        return true
    }
}

/// Sizes of a `DINOHead` (dinov2 defaults: 3 layers, hidden 2048, bottleneck 256, 65536 prototypes).
public struct DINOHeadConfig: Codable, Equatable, Sendable {
    public var inputDimensions: Int
    public var prototypes: Int
    public var layers: Int
    public var hiddenDimensions: Int
    public var bottleneckDimensions: Int
    public var mlpBias: Bool

    public init(inputDimensions: Int, prototypes: Int = 65536, layers: Int = 3, hiddenDimensions: Int = 2048,
                bottleneckDimensions: Int = 256, mlpBias: Bool = true) {
        self.inputDimensions = inputDimensions
        self.prototypes = prototypes
        self.layers = layers
        self.hiddenDimensions = hiddenDimensions
        self.bottleneckDimensions = bottleneckDimensions
        self.mlpBias = mlpBias
    }

    enum CodingKeys: String, CodingKey {
        case inputDimensions = "in_dim", prototypes = "out_dim", layers = "nlayers", hiddenDimensions = "hidden_dim"
        case bottleneckDimensions = "bottleneck_dim", mlpBias = "mlp_bias"
    }
}
