import Foundation
import VTPTensor

/// A crop rectangle in pixels (torchvision's (i, j, h, w) = (y, x, height, width)).
public struct CropBox: Sendable, Equatable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var description: String { "(x \(x), y \(y), \(width)x\(height))" }
}

/// torchvision `RandomResizedCrop(size, scale, ratio, interpolation=BICUBIC)` on PIL images: up to 10
/// tries of area fraction ~ U(scale) and log-uniform aspect ratio in `ratio`, then the centre-crop
/// fallback; the crop is resized with the Pillow-exact resizer.
public struct RandomResizedCrop: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var scale: ClosedRange<Double>
    public var ratio: ClosedRange<Double>
    public var filter: ResampleFilter

    public init(size: Int, scale: ClosedRange<Double> = 0.08...1.0, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3),
                filter: ResampleFilter = .bicubic) {
        self.init(width: size, height: size, scale: scale, ratio: ratio, filter: filter)
    }

    public init(width: Int, height: Int, scale: ClosedRange<Double> = 0.08...1.0,
                ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3), filter: ResampleFilter = .bicubic) {
        precondition(width >= 1 && height >= 1, "RandomResizedCrop: output size must be >= 1")
        precondition(scale.lowerBound > 0 && ratio.lowerBound > 0, "RandomResizedCrop: scale and ratio must be > 0")
        self.width = width
        self.height = height
        self.scale = scale
        self.ratio = ratio
        self.filter = filter
    }

    /// `RandomResizedCrop.get_params` for an image of `imageWidth`×`imageHeight`. Uniforms are float32
    /// as `torch.empty(1).uniform_` gives them; sizes use Python's `round` (half to even).
    public static func parameters(imageWidth width: Int, imageHeight height: Int, scale: ClosedRange<Double>,
                                  ratio: ClosedRange<Double>, rng: inout RNG) -> CropBox {
        precondition(width >= 1 && height >= 1, "RandomResizedCrop: empty image")
        let area = Double(width * height)
        let logLo = Float(Foundation.log(ratio.lowerBound)), logHi = Float(Foundation.log(ratio.upperBound))
        for _ in 0..<10 {
            let s = Float(scale.lowerBound) + Float(scale.upperBound - scale.lowerBound) * rng.uniform()
            let targetArea = area * Double(s)
            let aspect = Double(Foundation.exp(logLo + (logHi - logLo) * rng.uniform()))
            let w = Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0, w <= width, h > 0, h <= height {
                let i = rng.int(below: height - h + 1)
                let j = rng.int(below: width - w + 1)
                return CropBox(x: j, y: i, width: w, height: h)
            }
        }
        return fallback(imageWidth: width, imageHeight: height, ratio: ratio)
    }

    /// The centre crop used after 10 failed tries: the largest crop with the ratio clamped to `ratio`.
    public static func fallback(imageWidth width: Int, imageHeight height: Int, ratio: ClosedRange<Double>) -> CropBox {
        let inRatio = Double(width) / Double(height)
        var w = width, h = height
        if inRatio < ratio.lowerBound {
            h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if inRatio > ratio.upperBound {
            w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return CropBox(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h)
    }

    /// `F.resized_crop`: crop `box` (inside the image) then resize to the output size.
    public func apply(_ image: RGBImage, box: CropBox) -> RGBImage {
        let crop = try! image.cropped(x: box.x, y: box.y, width: box.width, height: box.height)
        return crop.resized(width: width, height: height, filter: filter)
    }

    public func callAsFunction(_ image: RGBImage, rng: inout RNG) -> RGBImage {
        apply(image, box: Self.parameters(imageWidth: image.width, imageHeight: image.height, scale: scale,
                                          ratio: ratio, rng: &rng))
    }
}

/// `RandomHorizontalFlip(p)`.
public struct RandomHorizontalFlip: Sendable, Equatable {
    public var probability: Float
    public init(probability: Float = 0.5) { self.probability = probability }

    public func callAsFunction(_ image: RGBImage, rng: inout RNG) -> RGBImage {
        rng.uniform() < probability ? image.horizontallyFlipped() : image
    }
}

/// `RandomGrayscale(p)` (3 output channels).
public struct RandomGrayscale: Sendable, Equatable {
    public var probability: Float
    public init(probability: Float = 0.1) { self.probability = probability }

    public func callAsFunction(_ image: RGBImage, rng: inout RNG) -> RGBImage {
        rng.uniform() < probability ? ColorAdjust.grayscale(image) : image
    }
}

/// `RandomSolarize(threshold, p)`.
public struct RandomSolarize: Sendable, Equatable {
    public var probability: Float
    public var threshold: Int
    public init(threshold: Int = 128, probability: Float = 0.2) {
        self.threshold = threshold
        self.probability = probability
    }

    public func callAsFunction(_ image: RGBImage, rng: inout RNG) -> RGBImage {
        rng.uniform() < probability ? ColorAdjust.solarize(image, threshold: threshold) : image
    }
}

/// torchvision `ColorJitter`: brightness, contrast, saturation and hue factors drawn uniformly from their
/// ranges and applied in a random order (`torch.randperm(4)`); a nil range skips that adjustment.
public struct ColorJitter: Sendable, Equatable {
    public var brightness: ClosedRange<Double>?
    public var contrast: ClosedRange<Double>?
    public var saturation: ClosedRange<Double>?
    public var hue: ClosedRange<Double>?

    /// torchvision's arguments: b, c, s give factor ranges [max(0, 1 − v), 1 + v]; h gives [−h, h]
    /// (h <= 0.5). Zero turns an adjustment off.
    public init(brightness: Double = 0, contrast: Double = 0, saturation: Double = 0, hue: Double = 0) {
        precondition(brightness >= 0 && contrast >= 0 && saturation >= 0, "ColorJitter: negative strength")
        precondition(hue >= 0 && hue <= 0.5, "ColorJitter: hue must be in [0, 0.5]")
        func range(_ v: Double) -> ClosedRange<Double>? { v == 0 ? nil : max(0, 1 - v)...(1 + v) }
        self.brightness = range(brightness)
        self.contrast = range(contrast)
        self.saturation = range(saturation)
        self.hue = hue == 0 ? nil : (-hue)...hue
    }

    /// Explicit ranges.
    public init(brightnessRange: ClosedRange<Double>?, contrastRange: ClosedRange<Double>?,
                saturationRange: ClosedRange<Double>?, hueRange: ClosedRange<Double>?) {
        if let hueRange { precondition(hueRange.lowerBound >= -0.5 && hueRange.upperBound <= 0.5, "hue range outside [-0.5, 0.5]") }
        brightness = brightnessRange
        contrast = contrastRange
        saturation = saturationRange
        hue = hueRange
    }

    /// One draw of `ColorJitter.get_params`.
    public struct Parameters: Sendable, Equatable {
        /// Order of application: 0 brightness, 1 contrast, 2 saturation, 3 hue.
        public var order: [Int]
        public var brightness: Double?
        public var contrast: Double?
        public var saturation: Double?
        public var hue: Double?

        public init(order: [Int] = [0, 1, 2, 3], brightness: Double? = nil, contrast: Double? = nil,
                    saturation: Double? = nil, hue: Double? = nil) {
            self.order = order
            self.brightness = brightness
            self.contrast = contrast
            self.saturation = saturation
            self.hue = hue
        }
    }

    public func parameters(rng: inout RNG) -> Parameters {
        let order = rng.permutation(4)
        func draw(_ r: ClosedRange<Double>?) -> Double? {
            guard let r else { return nil }
            // float32 like torch.empty(1).uniform_, then float(...) to a Python float.
            return Double(Float(r.lowerBound) + Float(r.upperBound - r.lowerBound) * rng.uniform())
        }
        let b = draw(brightness), c = draw(contrast), s = draw(saturation), h = draw(hue)
        return Parameters(order: order, brightness: b, contrast: c, saturation: s, hue: h)
    }

    public static func apply(_ image: RGBImage, _ p: Parameters) -> RGBImage {
        var img = image
        for id in p.order {
            switch id {
            case 0: if let f = p.brightness { img = ColorAdjust.brightness(img, f) }
            case 1: if let f = p.contrast { img = ColorAdjust.contrast(img, f) }
            case 2: if let f = p.saturation { img = ColorAdjust.saturation(img, f) }
            case 3: if let f = p.hue { img = ColorAdjust.hue(img, max(-0.5, min(0.5, f))) }
            default: break
            }
        }
        return img
    }

    public func callAsFunction(_ image: RGBImage, rng: inout RNG) -> RGBImage {
        Self.apply(image, parameters(rng: &rng))
    }
}
