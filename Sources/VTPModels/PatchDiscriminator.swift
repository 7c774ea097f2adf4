// port of NLayerDiscriminator (the pix2pix PatchGAN) of CompVis/taming-transformers
// (taming/modules/discriminator/model.py), with a per-sample norm in place of BatchNorm2d
import VTPNN
import VTPTensor

/// The PatchGAN discriminator of taming-transformers (VQGAN), returning a logit per overlapping patch.
///
/// ```
/// main.0   Conv4×4 s2 (in → ndf, bias) ─ LeakyReLU(0.2)
/// for n in 1..<layers:   Conv4×4 s2 (ndf·m(n−1) → ndf·m(n)) ─ Norm ─ LeakyReLU(0.2)      m(n) = min(2ⁿ, 8)
///          Conv4×4 s1 (ndf·m(layers−1) → ndf·m(layers)) ─ Norm ─ LeakyReLU(0.2)
///          Conv4×4 s1 (→ 1, bias)
/// ```
/// All convolutions have padding 1. [B, 3, 256, 256] → [B, 1, 30, 30] for the default 3 layers.
/// Keys as taming's `nn.Sequential`: `main.0.*`, `main.2.weight`, `main.3.weight/bias` (norm), `main.5`, `main.6`,
/// `main.8`, `main.9`, `main.11.*`.
///
/// Deviation: taming normalises with BatchNorm2d (batch statistics, running averages, bias-free convs before it).
/// Our engine has no BatchNorm, so the norm is a per-sample `GroupNorm` (the largest divisor of the channel count up
/// to `normGroups` groups) with the same `weight`/`bias` keys and init, or no norm at all (`normGroups` = 0, then those
/// convolutions keep a bias). Weights ~ N(0, 0.02) as taming's `weights_init`; biases start at 0.
public final class PatchDiscriminator: Module {
    public let config: PatchDiscriminatorConfig
    /// (Sequential index, conv) of each convolution, in order.
    public let convs: [(index: Int, conv: Conv2d)]
    /// (Sequential index, norm) of each norm layer, in order; empty without norm.
    public let norms: [(index: Int, norm: GroupNorm)]

    public var items: [ModuleItem] {
        (convs.map { ($0.index, ModuleItem.child("main.\($0.index)", $0.conv)) }
            + norms.map { ($0.index, ModuleItem.child("main.\($0.index)", $0.norm)) })
            .sorted { $0.0 < $1.0 }.map(\.1)
    }

    public init(config: PatchDiscriminatorConfig, rng: inout RNG) {
        self.config = config
        let ndf = config.baseChannels, useNorm = config.normGroups > 0
        var convs: [(Int, Conv2d)] = [], norms: [(Int, GroupNorm)] = []
        var index = 0
        func add(_ cin: Int, _ cout: Int, stride: Int, norm: Bool, rng: inout RNG) {
            convs.append((index, Conv2d(cin, cout, kernel: 4, stride: stride, padding: 1, bias: !norm, std: nil, rng: &rng)))
            index += 1
            if norm {
                let groups = (1...Swift.min(config.normGroups, cout)).last { cout % $0 == 0 }!
                norms.append((index, GroupNorm(cout, groups: groups, rng: &rng)))
                index += 1
            }
            index += 1  // LeakyReLU
        }
        add(config.inputChannels, ndf, stride: 2, norm: false, rng: &rng)
        var mult = 1
        for n in 1..<Swift.max(config.layers, 1) {
            let prev = mult
            mult = Swift.min(1 << n, 8)
            add(ndf * prev, ndf * mult, stride: 2, norm: useNorm, rng: &rng)
        }
        let prev = mult
        mult = Swift.min(1 << config.layers, 8)
        add(ndf * prev, ndf * mult, stride: 1, norm: useNorm, rng: &rng)
        convs.append((index, Conv2d(ndf * mult, 1, kernel: 4, stride: 1, padding: 1, rng: &rng)))
        // taming's weights_init: conv weights N(0, 0.02); we also start every bias at 0.
        for (_, conv) in convs {
            conv.weight.value = Tensor.randomNormal(conv.weight.shape, std: 0.02, rng: &rng)
            conv.bias?.value = Tensor.zeros(conv.bias!.shape)
        }
        self.convs = convs
        self.norms = norms
    }

    /// The side of the logit map for square `inputSize` images: `layers` stride-2 and two stride-1 4×4
    /// convolutions with padding 1 (0 or less when the input is too small).
    public static func outputSize(inputSize: Int, layers: Int) -> Int {
        var s = inputSize
        for _ in 0..<Swift.max(layers, 1) { s = s < 2 ? 0 : (s + 2 - 4) / 2 + 1 }
        return s - 2
    }

    /// images [B, C, H, W] (H, W ≥ 16 for 3 layers) → patch logits [B, 1, H', W'].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        var normAt: [Int: GroupNorm] = [:]
        for (i, n) in norms { normAt[i] = n }
        for (k, (i, conv)) in convs.enumerated() {
            h = conv(h)
            if k == convs.count - 1 { break }
            if let norm = normAt[i + 1] { h = norm(h) }
            h = h.leakyRelu(0.2)
        }
        return h
    }
}

/// Sizes of a `PatchDiscriminator` (taming defaults: 3 input channels, ndf 64, 3 layers).
public struct PatchDiscriminatorConfig: Codable, Equatable, Sendable {
    public var inputChannels: Int
    public var baseChannels: Int
    public var layers: Int
    /// Groups of the per-sample norm (at most; each layer takes the largest divisor of its channels); 0 = no norm.
    public var normGroups: Int

    public init(inputChannels: Int = 3, baseChannels: Int = 64, layers: Int = 3, normGroups: Int = 32) {
        self.inputChannels = inputChannels
        self.baseChannels = baseChannels
        self.layers = layers
        self.normGroups = normGroups
    }

    enum CodingKeys: String, CodingKey {
        case inputChannels = "disc_in_channels", baseChannels = "disc_ndf", layers = "disc_num_layers"
        case normGroups = "disc_norm_groups"
    }
}
