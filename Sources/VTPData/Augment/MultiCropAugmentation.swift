import Foundation
import VTPTensor

/// The crops of one image, each ImageNet-normalised float32 CHW (`[3 * size * size]`).
public struct MultiCropSample: Sendable {
    public var globalCrops: [[Float]]
    public var localCrops: [[Float]]
    public var globalSize: Int
    public var localSize: Int
}

/// DINOv2's `DataAugmentationDINO` with every number configurable. Per global crop k:
/// RandomResizedCrop(globalSize, globalScale, bicubic) → flip → [ColorJitter p=jitterProbability] →
/// RandomGrayscale → blur with `globalBlurProbabilities[k]` → solarize with `globalSolarizeProbabilities[k]`
/// → normalise. Each local crop: RandomResizedCrop(localSize, localScale) → flip → jitter → grayscale →
/// blur with `localBlurProbability` → normalise. Random draws happen in that order.
///
/// Blur probabilities: the defaults are the nominal recipe (1.0 / 0.1 / 0.5, as in BYOL and DINO v1).
/// DINOv2's released code passes `1 - p` to torchvision's `RandomApply`, so its models were trained with
/// 0.0 / 0.9 / 0.5 (facebookresearch/dinov2#411, dinov3#286); `Config.dinov2AsReleased` reproduces that.
/// DINOv2 blurs with torchvision's kernel-9 Gaussian (`blurKind = .torchvision`); `.pil` gives DINO v1's
/// Pillow blur.
public struct MultiCropAugmentation: Sendable {
    public struct Config: Codable, Sendable, Equatable {
        public var globalSize = 224
        public var localSize = 96
        public var localCropCount = 8
        public var globalScale: [Double] = [0.32, 1.0]
        public var localScale: [Double] = [0.05, 0.32]
        public var ratio: [Double] = [3.0 / 4.0, 4.0 / 3.0]
        public var flipProbability: Float = 0.5
        public var colorJitterProbability: Float = 0.8
        public var brightness = 0.4
        public var contrast = 0.4
        public var saturation = 0.2
        public var hue = 0.1
        public var grayscaleProbability: Float = 0.2
        public var blurKind: BlurKind = .torchvision
        public var blurKernelSize = 9
        public var blurSigma: [Double] = [0.1, 2.0]
        /// One entry per global crop (their count sets the number of global crops).
        public var globalBlurProbabilities: [Float] = [1.0, 0.1]
        public var globalSolarizeProbabilities: [Float] = [0.0, 0.2]
        public var localBlurProbability: Float = 0.5
        public var solarizeThreshold = 128
        public var mean: [Float] = Preprocess.imagenetMean
        public var std: [Float] = Preprocess.imagenetStd

        public init() {}

        /// The recipe as written in DINOv2's augmentations.py (nominal blur probabilities).
        public static let dinov2 = Config()

        /// The probabilities DINOv2's code actually applies (blur 0.0 / 0.9 / 0.5), see the type's doc.
        public static var dinov2AsReleased: Config {
            var c = Config()
            c.globalBlurProbabilities = [0.0, 0.9]
            return c
        }

        /// Throws a readable error for inconsistent settings.
        public func validate() throws {
            func check(_ ok: Bool, _ message: String) throws {
                if !ok { throw DatasetError.invalidArgument("MultiCropAugmentation: \(message)") }
            }
            try check(globalSize >= 1 && localSize >= 1, "crop sizes must be >= 1")
            try check(localCropCount >= 0, "localCropCount must be >= 0")
            for (name, r) in [("globalScale", globalScale), ("localScale", localScale), ("ratio", ratio), ("blurSigma", blurSigma)] {
                try check(r.count == 2 && r[0] > 0 && r[0] <= r[1], "\(name) must be [lo, hi] with 0 < lo <= hi (got \(r))")
            }
            try check(!globalBlurProbabilities.isEmpty, "at least one global crop is needed")
            try check(globalSolarizeProbabilities.count == globalBlurProbabilities.count,
                      "globalSolarizeProbabilities and globalBlurProbabilities need one entry per global crop")
            try check(hue >= 0 && hue <= 0.5, "hue must be in [0, 0.5]")
            try check(brightness >= 0 && contrast >= 0 && saturation >= 0, "jitter strengths must be >= 0")
            try check(blurKernelSize >= 1 && blurKernelSize % 2 == 1, "blurKernelSize must be odd")
            try check(mean.count == 3 && std.count == 3, "mean and std need 3 values")
        }
    }

    public let config: Config
    let globalCrop: RandomResizedCrop
    let localCrop: RandomResizedCrop
    let jitter: ColorJitter

    public init(config: Config = .dinov2) throws {
        try config.validate()
        self.config = config
        let ratio = config.ratio[0]...config.ratio[1]
        globalCrop = RandomResizedCrop(size: config.globalSize, scale: config.globalScale[0]...config.globalScale[1],
                                       ratio: ratio)
        localCrop = RandomResizedCrop(size: config.localSize, scale: config.localScale[0]...config.localScale[1],
                                      ratio: ratio)
        jitter = ColorJitter(brightness: config.brightness, contrast: config.contrast, saturation: config.saturation,
                             hue: config.hue)
    }

    /// The 8-bit crops before normalisation (global crops first). Useful for inspection and tests.
    public func crops(_ image: RGBImage, rng: inout RNG) -> (global: [RGBImage], local: [RGBImage]) {
        precondition(image.width > 0 && image.height > 0, "MultiCropAugmentation: empty image")
        let flip = RandomHorizontalFlip(probability: config.flipProbability)
        let gray = RandomGrayscale(probability: config.grayscaleProbability)
        let sigma = config.blurSigma[0]...config.blurSigma[1]
        func colour(_ img: RGBImage, _ rng: inout RNG) -> RGBImage {
            var out = img
            if rng.uniform() < config.colorJitterProbability { out = jitter(out, rng: &rng) }
            return gray(out, rng: &rng)
        }
        func blur(_ img: RGBImage, probability: Float, _ rng: inout RNG) -> RGBImage {
            RandomGaussianBlur(probability: probability, sigma: sigma, kind: config.blurKind,
                               kernelSize: config.blurKernelSize)(img, rng: &rng)
        }
        var globals: [RGBImage] = []
        for k in 0..<config.globalBlurProbabilities.count {
            var img = flip(globalCrop(image, rng: &rng), rng: &rng)
            img = colour(img, &rng)
            img = blur(img, probability: config.globalBlurProbabilities[k], &rng)
            if config.globalSolarizeProbabilities[k] > 0 {
                img = RandomSolarize(threshold: config.solarizeThreshold,
                                     probability: config.globalSolarizeProbabilities[k])(img, rng: &rng)
            }
            globals.append(img)
        }
        var locals: [RGBImage] = []
        for _ in 0..<config.localCropCount {
            var img = flip(localCrop(image, rng: &rng), rng: &rng)
            img = colour(img, &rng)
            img = blur(img, probability: config.localBlurProbability, &rng)
            locals.append(img)
        }
        return (globals, locals)
    }

    /// All crops, normalised (`Preprocess.normalizedCHW` with `config.mean`/`std`).
    public func callAsFunction(_ image: RGBImage, rng: inout RNG) -> MultiCropSample {
        let (g, l) = crops(image, rng: &rng)
        let norm = { (img: RGBImage) in Preprocess.normalizedCHW(img, mean: self.config.mean, std: self.config.std) }
        return MultiCropSample(globalCrops: g.map(norm), localCrops: l.map(norm), globalSize: config.globalSize,
                               localSize: config.localSize)
    }
}
