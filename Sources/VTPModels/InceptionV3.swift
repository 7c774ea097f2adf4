// The InceptionV3 of pytorch-fid (mseitzer/pytorch-fid, `InceptionV3` with `use_fid_inception=True`): torchvision's
// Inception v3 with the blocks patched to match the TensorFlow graph FID was defined with.
import Foundation
import VTPNN
import VTPTensor

/// Convolution (no bias) → BatchNorm (eps 0.001, running statistics) → ReLU, torchvision's `BasicConv2d`.
///
/// Keys: `conv.weight` [O, C, kH, kW], `bn.weight`, `bn.bias`, `bn.running_mean`, `bn.running_var` [O]. At
/// inference the BatchNorm is folded into the convolution: w' = w·γ/√(var + eps), b' = β − mean·γ/√(var + eps), which
/// runs on oneDNN's convolution primitive with the ReLU fused, on blocked activations (`BlockedActivation`).
public final class InceptionConv: Module {
    public static let eps: Float = 0.001
    public let weight: Parameter
    public let bnWeight: Parameter, bnBias: Parameter
    public let runningMean: Buffer, runningVar: Buffer
    public let stride: Int
    /// Zero padding (rows, columns).
    public let padding: (Int, Int)
    public var items: [ModuleItem] {
        [.parameter("conv.weight", weight), .parameter("bn.weight", bnWeight), .parameter("bn.bias", bnBias),
         .buffer("bn.running_mean", runningMean), .buffer("bn.running_var", runningVar)]
    }

    /// Identity statistics and zero weights; load real ones.
    init(_ inChannels: Int, _ outChannels: Int, kernel: (Int, Int), stride: Int = 1, padding: (Int, Int) = (0, 0)) {
        weight = Parameter(Tensor.zeros([outChannels, inChannels, kernel.0, kernel.1]))
        bnWeight = Parameter(Tensor.ones([outChannels]))
        bnBias = Parameter(Tensor.zeros([outChannels]))
        runningMean = Buffer(Tensor.zeros([outChannels]))
        runningVar = Buffer(Tensor.ones([outChannels]))
        self.stride = stride
        self.padding = padding
    }

    convenience init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.init(inChannels, outChannels, kernel: (kernel, kernel), stride: stride, padding: (padding, padding))
    }

    /// The folded, packed weights (redone when loading replaces one of the five tensors).
    private let foldCache = WeightDerivedCache<PackedConvolutionWeights>()

    /// The convolution with the BatchNorm folded in: weight [O, C, kH, kW] and bias [O]. Cached until one of the
    /// five tensors is replaced (as loading does; the network is frozen, nothing updates them in place).
    public func folded() -> (weight: Tensor, bias: Tensor) {
        let p = packed()
        return (p.weight, p.bias)
    }

    /// The folded convolution with its ReLU, reordered for oneDNN once (same cache as `folded()`).
    func packed() -> PackedConvolutionWeights {
        foldCache.value(from: [weight.value, bnWeight.value, bnBias.value, runningMean.value, runningVar.value]) {
            let f = computeFolded()
            return PackedConvolutionWeights(weight: f.weight, bias: f.bias, relu: true)
        }
    }

    private func computeFolded() -> (weight: Tensor, bias: Tensor) {
        let o = weight.shape[0], per = weight.value.count / o
        let (g, b, m, v) = (bnWeight.value.scalars, bnBias.value.scalars, runningMean.value.scalars, runningVar.value.scalars)
        var w = weight.value.scalars, bias = [Float](repeating: 0, count: o)
        for c in 0..<o {
            let s = g[c] / (v[c] + InceptionConv.eps).squareRoot()
            for i in 0..<per { w[c * per + i] *= s }
            bias[c] = b[c] - m[c] * s
        }
        return (Tensor(w, shape: weight.shape), Tensor(bias, shape: [o]))
    }

    /// x [B, C, H, W] → [B, O, H', W'] (blocked activations stay blocked).
    public func callAsFunction(_ x: BlockedActivation) -> BlockedActivation {
        let (ph, pw) = padding
        return x.convolution(packed(), stride: stride, padding: (ph, pw, ph, pw))
    }
}

/// pytorch-fid's InceptionV3 up to the pool3 features (the FID variant).
///
/// ```
/// x [B, 3, H, W] in [0, 1] → bilinear resize to 299×299 (align_corners=False) → 2x − 1
/// Conv2d_1a_3x3 (s2) → Conv2d_2a_3x3 → Conv2d_2b_3x3 (p1) → max-pool 3/2 → Conv2d_3b_1x1 → Conv2d_4a_3x3 → max-pool 3/2
/// Mixed_5b, 5c, 5d (FIDInceptionA) → Mixed_6a (InceptionB) → Mixed_6b…6e (FIDInceptionC) → Mixed_7a (InceptionD)
/// → Mixed_7b (FIDInceptionE, average pool) → Mixed_7c (FIDInceptionE, max pool) → global average → [B, 2048]
/// ```
/// Keys are those of pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (`Conv2d_1a_3x3.conv.weight`,
/// `Mixed_7c.branch_pool.bn.running_var`, …); its `fc.*` classifier and `*.num_batches_tracked` counters are
/// ignored when present (`InceptionV3.ignoredKeys`).
public final class InceptionV3: Module {
    public static let featureDimension = 2048
    public let stem: [(key: String, conv: InceptionConv)]
    let mixed: [(key: String, block: InceptionBlock)]
    public var items: [ModuleItem] { stem.map { .child($0.key, $0.conv) } + mixed.map { .child($0.key, $0.block) } }

    public init() {
        stem = [("Conv2d_1a_3x3", InceptionConv(3, 32, kernel: 3, stride: 2)),
                ("Conv2d_2a_3x3", InceptionConv(32, 32, kernel: 3)),
                ("Conv2d_2b_3x3", InceptionConv(32, 64, kernel: 3, padding: 1)),
                ("Conv2d_3b_1x1", InceptionConv(64, 80, kernel: 1)),
                ("Conv2d_4a_3x3", InceptionConv(80, 192, kernel: 3))]
        mixed = [("Mixed_5b", InceptionA(192, poolFeatures: 32)), ("Mixed_5c", InceptionA(256, poolFeatures: 64)),
                 ("Mixed_5d", InceptionA(288, poolFeatures: 64)), ("Mixed_6a", InceptionB(288)),
                 ("Mixed_6b", InceptionC(768, channels7x7: 128)), ("Mixed_6c", InceptionC(768, channels7x7: 160)),
                 ("Mixed_6d", InceptionC(768, channels7x7: 160)), ("Mixed_6e", InceptionC(768, channels7x7: 192)),
                 ("Mixed_7a", InceptionD(768)), ("Mixed_7b", InceptionE(1280, maxPool: false)),
                 ("Mixed_7c", InceptionE(2048, maxPool: true))]
        setTrainable(false)
    }

    /// Whether a checkpoint key is one the features do not use.
    public static func isIgnoredKey(_ key: String) -> Bool { key.hasPrefix("fc.") || key.hasSuffix(".num_batches_tracked") }

    /// Loads weights (any float dtype is converted to F32), ignoring `fc.*` and `*.num_batches_tracked`.
    public func load(_ source: TensorSource) throws {
        try load(from: source, ignoring: Set(source.tensorNames.filter(InceptionV3.isIgnoredKey)))
        setTrainable(false)
    }

    /// Pool3 features [B, 2048] of images [B, 3, H, W] in [0, 1] (any H, W: resized to 299×299 first).
    public func features(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4 && images.shape[1] == 3, "InceptionV3: expected images [B, 3, H, W], got \(images.shape)")
        // One reorder into oneDNN's blocked layout at the first convolution, one out of it before the global mean.
        var x = BlockedActivation.plain(images.resizedBilinear(height: 299, width: 299) * 2 - 1)
        for (i, (_, conv)) in stem.enumerated() {
            x = conv(x)
            if i == 2 || i == 4 { x = x.pooled(max: true, kernel: 3, stride: 2) }
        }
        for (_, block) in mixed { x = block.forward(x) }
        return x.tensor().mean(axes: [2, 3])
    }
}

/// A mixed block: branches concatenated along channels.
protocol InceptionBlock: Module {
    /// [B, C, H, W] → [B, C', H', W'], blocked.
    func forward(_ x: BlockedActivation) -> BlockedActivation
}
