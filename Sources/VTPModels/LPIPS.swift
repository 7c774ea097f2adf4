// port of the VGG16 LPIPS of richzhang/PerceptualSimilarity (the `lpips` package, v0.1), which
// taming-transformers and MiniMax-AI/VTP (vtp/utils/lpips.py) ship as their perceptual loss
import Foundation
import VTPNN
import VTPTensor

/// One VGG16 stage: an optional 2×2 max pool, then 3×3 convolutions (padding 1), each followed by ReLU.
///
/// Keys are the torchvision `features` indices the stage holds (`0`, `2` for stage 1; `5`, `7` for stage 2; …),
/// as the `lpips` package's `vgg16.sliceN` sequentials keep them.
public final class VGG16Stage: Module {
    public let pools: Bool
    public let convs: [(index: Int, conv: Conv2d)]
    public var items: [ModuleItem] { convs.map { .child(String($0.index), $0.conv) } }

    init(pools: Bool, firstIndex: Int, channels: [Int], rng: inout RNG) {
        self.pools = pools
        var index = firstIndex + (pools ? 1 : 0)
        var list: [(Int, Conv2d)] = []
        for i in 0..<(channels.count - 1) {
            list.append((index, Conv2d(channels[i], channels[i + 1], kernel: 3, padding: 1, rng: &rng)))
            index += 2  // conv, relu
        }
        convs = list
    }

    /// x [B, C, H, W] → [B, C', H', W'] (H' = H/2 after the pool, floored as PyTorch).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = pools ? x.maxPool2d(kernel: 2) : x
        for (_, conv) in convs { h = conv(h).relu() }
        return h
    }

    /// The convolutions with their ReLU, reordered for oneDNN once (redone when loading replaces a weight).
    private let packedCache = WeightDerivedCache<[PackedConvolutionWeights]>()

    private func packed() -> [PackedConvolutionWeights] {
        packedCache.value(from: convs.flatMap { [$0.conv.weight.value] + ($0.conv.bias.map { [$0.value] } ?? []) }) {
            convs.map { PackedConvolutionWeights(weight: $0.conv.weight.value, bias: $0.conv.bias?.value ?? Tensor.zeros([$0.conv.weight.shape[0]]),
                                                 relu: true) }
        }
    }

    /// The same stage on blocked activations (inference: pool, convolutions with the ReLU fused, no reorders between).
    public func callAsFunction(_ x: BlockedActivation) -> BlockedActivation {
        var h = pools ? x.pooled(max: true, kernel: 2, stride: 2) : x
        for p in packed() { h = h.convolution(p, padding: (1, 1, 1, 1)) }
        return h
    }
}

/// LPIPS with a VGG16 trunk (inputs in [−1, 1]).
///
/// ```
/// x' = (x − shift)/scale                              shift (−.030, −.088, −.188), scale (.458, .448, .450)
/// f_l = VGG16 stage l of x' (relu1_2, relu2_2, relu3_3, relu4_3, relu5_3), l = 1…5
/// n_l = f_l / (‖f_l‖_channels + 1e-10)                per pixel
/// d_l = mean_{h,w} Σ_c w_l[c] · (n_l(x) − n_l(y))²     (the 1×1 `lin` conv, no bias)
/// LPIPS(x, y) = Σ_l d_l                              [B]
/// ```
/// Keys (those of `lpips.LPIPS(net: "vgg").state_dict()`): `net.slice1.0.weight`, `net.slice1.0.bias`,
/// `net.slice1.2.*`, `net.slice2.5.*`, …, `net.slice5.28.*`; `lin0.model.1.weight` … `lin4.model.1.weight`
/// [1, C, 1, 1]. The scaling constants are fixed in code (the package's `scaling_layer.*` buffers and its
/// `lins.*` aliases are ignored when present). Build the weights file with `scripts/convert_lpips_weights.py`.
///
/// The network is frozen (`setTrainable(false)` in `init`): gradients flow to the images only. Dropout in `lin`
/// is a training-only op and is not applied (the reference runs in eval mode).
public final class LPIPS: Module {
    public static let shift: [Float] = [-0.030, -0.088, -0.188]
    public static let scale: [Float] = [0.458, 0.448, 0.450]
    /// Channels of the five compared stages.
    public static let channels = [64, 128, 256, 512, 512]

    public let stages: [VGG16Stage]
    /// The 1×1 `lin` weights, [1, C_l, 1, 1] each.
    public let lins: [Parameter]

    public var items: [ModuleItem] {
        stages.enumerated().map { .child("net.slice\($0.offset + 1)", $0.element) }
            + lins.enumerated().map { .parameter("lin\($0.offset).model.1.weight", $0.element) }
    }

    /// Random weights (PyTorch's default conv init; `lin` weights U(0, 1/C)); load real ones with `load(url:)`.
    public init(seed: UInt64 = 0) {
        var rng = RNG(seed: seed)
        let c = LPIPS.channels
        stages = [
            VGG16Stage(pools: false, firstIndex: 0, channels: [3, c[0], c[0]], rng: &rng),
            VGG16Stage(pools: true, firstIndex: 4, channels: [c[0], c[1], c[1]], rng: &rng),
            VGG16Stage(pools: true, firstIndex: 9, channels: [c[1], c[2], c[2], c[2]], rng: &rng),
            VGG16Stage(pools: true, firstIndex: 16, channels: [c[2], c[3], c[3], c[3]], rng: &rng),
            VGG16Stage(pools: true, firstIndex: 23, channels: [c[3], c[4], c[4], c[4]], rng: &rng),
        ]
        lins = c.map { Parameter(Tensor.randomUniform([1, $0, 1, 1], 0, 1 / Float($0), rng: &rng)) }
        setTrainable(false)
    }

    /// Loads a weights file (strict, except for the reference's extra `scaling_layer.*` and `lins.*` keys).
    public static func load(url: URL) throws -> LPIPS {
        guard FileManager.default.fileExists(atPath: url.path) else { throw VTPError.missingFile(url.path) }
        let model = LPIPS()
        let file = try SafeTensorsFile(url: url)
        let extra = Set(file.names.filter { $0.hasPrefix("scaling_layer.") || $0.hasPrefix("lins.") })
        try model.load(from: file, ignoring: extra)
        model.setTrainable(false)
        return model
    }

    /// The five stage activations (relu1_2 … relu5_3) of inputs in [−1, 1] [B, 3, H, W].
    public func features(_ x: Tensor) -> [Tensor] {
        precondition(x.rank == 4 && x.shape[1] == 3, "LPIPS: expected images [B, 3, H, W], got \(x.shape)")
        let shift = Tensor(LPIPS.shift, shape: [1, 3, 1, 1]), scale = Tensor(LPIPS.scale, shape: [1, 3, 1, 1])
        var h = (x - shift) / scale
        let trunkTrains = GradMode.isEnabled && stages.contains { $0.convs.contains { $0.conv.weight.requiresGrad } }
        if !h.requiresGrad && !trunkTrains {
            // Nothing to differentiate (evaluation, or the frozen trunk on constant images): the blocked inference
            // path, one reorder in and one out per tapped stage.
            var b = BlockedActivation.plain(h)
            return stages.map { stage in
                b = stage(b)
                return b.tensor()
            }
        }
        var out: [Tensor] = []
        for stage in stages {
            h = stage(h)
            out.append(h)
        }
        return out
    }

    /// The per-stage distance maps Σ_c w_l[c]·(n_l(x) − n_l(y))², each [B, 1, H_l, W_l], of images `x`, `y` in
    /// [−1, 1] [B, 3, H, W].
    public func stageMaps(_ x: Tensor, _ y: Tensor) -> [Tensor] {
        precondition(x.shape == y.shape, "LPIPS: images \(x.shape) and \(y.shape) differ in shape")
        let b = x.shape[0]
        // One trunk pass over both batches.
        let feats = features(Tensor.concat([x, y], axis: 0))
        return zip(feats, lins).map { f, w in
            let n = LPIPS.unitNormalized(f)
            let parts = n.split([b, b], axis: 0)
            let d = parts[0] - parts[1]
            return (d * d).conv2d(w.value)
        }
    }

    /// The per-stage distances d_1 … d_5, each [B], of images `x`, `y` in [−1, 1] [B, 3, H, W].
    public func stageDistances(_ x: Tensor, _ y: Tensor) -> [Tensor] {
        stageMaps(x, y).map { $0.mean(axes: [1, 2, 3]) }
    }

    /// The spatial LPIPS of the package's `spatial=True`: each stage map upsampled bilinearly (align_corners=False)
    /// to the input's H×W, [B, 1, H, W] each, and their sum. Inference only (no gradient).
    public func spatialMaps(_ x: Tensor, _ y: Tensor) -> (stages: [Tensor], total: Tensor) {
        let (h, w) = (x.shape[2], x.shape[3])
        let maps = stageMaps(x, y).map { $0.detached().resizedBilinear(height: h, width: w) }
        return (maps, maps.dropFirst().reduce(maps[0]) { $0 + $1 })
    }

    /// The `net.slice{s}` index of torchvision's `features.{i}` layer.
    static func slice(ofFeature i: Int) -> Int { i < 4 ? 1 : i < 9 ? 2 : i < 16 ? 3 : i < 23 ? 4 : 5 }

    /// Loads weights from published files, merged: torchvision's VGG16 (`features.{i}.weight/bias`; `classifier.*`
    /// ignored) and the `lpips` package's `vgg.pth` (`lin{k}.model.1.weight`), or one file with both, or this
    /// model's own keys (`net.slice{s}.{i}.*`). The constant `scaling_layer.*` and the `lins.*` aliases are ignored.
    public static func load(from sources: [TensorSource]) throws -> LPIPS {
        var tensors: [String: Tensor] = [:]
        for source in sources {
            for name in source.tensorNames {
                if name.hasPrefix("classifier.") || name.hasPrefix("scaling_layer.") || name.hasPrefix("lins.") { continue }
                var key = name
                let parts = name.split(separator: ".")
                if parts.count == 3, parts[0] == "features", let i = Int(parts[1]) { key = "net.slice\(slice(ofFeature: i)).\(i).\(parts[2])" }
                tensors[key] = Tensor(try source.tensorFloats(name), shape: try source.tensorShape(name))
            }
        }
        let model = LPIPS()
        try model.load(from: TensorDictionary(tensors))
        model.setTrainable(false)
        return model
    }

    /// LPIPS(x, y) [B] of images in [−1, 1] [B, 3, H, W] (H, W ≥ 16 so that every stage has a pixel).
    public func callAsFunction(_ x: Tensor, _ y: Tensor) -> Tensor {
        let d = stageDistances(x, y)
        return d.dropFirst().reduce(d[0]) { $0 + $1 }
    }

    /// x / (‖x‖ + 1e-10), the norm over channels per pixel, [B, C, H, W]. (The 1e-20 inside the root changes no
    /// value in F32 but keeps the gradient finite where a pixel's features are all zero.)
    static func unitNormalized(_ f: Tensor) -> Tensor {
        f / (((f * f).sum(axis: 1, keepDims: true) + 1e-20).sqrt() + 1e-10)
    }
}
