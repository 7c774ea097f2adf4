import Foundation
import VTPTensor

/// The two Gaussian blurs used by self-supervised recipes.
/// - `pil(image, radius:)`: Pillow's `ImageFilter.GaussianBlur(radius)` (DINO v1, BYOL ports): three
///   box-blur passes per axis approximating a Gaussian of standard deviation `radius`, 8-bit between
///   passes, bit-exact with Pillow.
/// - `torchvision(image, kernelSize:, sigma:)`: `torchvision.transforms.GaussianBlur(kernel_size, sigma)`
///   on a PIL image (DINOv2 uses kernel 9): float32 kernel, reflect padding, round half to even. Equal to
///   torchvision except where torch's float32 summation order lands on the other side of a .5 (rare, ±1).
public enum GaussianBlur {
    // MARK: Pillow

    /// Pillow's `_gaussian_blur_radius`: the extended-box radius giving variance radius²/passes per pass.
    public static func boxRadius(forGaussianRadius radius: Float, passes: Int = 3) -> Float {
        let sigma2: Float = radius * radius / Float(passes)
        let L = Float((12.0 * Double(sigma2) + 1.0).squareRoot())
        let l = Float(((Double(L) - 1.0) / 2.0).rounded(.down))
        var a: Float = (2 * l + 1) * (l * (l + 1) - 3 * sigma2)
        a /= 6 * (sigma2 - (l + 1) * (l + 1))
        return l + a
    }

    /// `img.filter(ImageFilter.GaussianBlur(radius))`. `radius` is converted to float32 as Pillow does.
    public static func pil(_ image: RGBImage, radius: Double, passes: Int = 3) -> RGBImage {
        precondition(radius >= 0, "GaussianBlur.pil: radius must be >= 0")
        precondition(passes >= 1, "GaussianBlur.pil: passes must be >= 1")
        if radius == 0 || image.width == 0 || image.height == 0 { return image }
        let boxRadius = self.boxRadius(forGaussianRadius: Float(radius), passes: passes)
        var pixels = image.pixels
        let w = image.width, h = image.height
        if boxRadius != 0 {
            pixels.withUnsafeMutableBufferPointer { p in
                // Horizontal passes over every row, then vertical passes over every column
                // (Pillow transposes and runs horizontal passes; the arithmetic is the same).
                boxBlurLines(p, count: h, length: w, lineStride: w * 3, pixelStride: 3, radius: boxRadius, passes: passes)
                boxBlurLines(p, count: w, length: h, lineStride: 3, pixelStride: w * 3, radius: boxRadius, passes: passes)
            }
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    /// Runs `passes` box blurs along `count` lines of `length` pixels (3 channels each).
    static func boxBlurLines(_ p: UnsafeMutableBufferPointer<UInt8>, count: Int, length: Int, lineStride: Int,
                             pixelStride: Int, radius floatRadius: Float, passes: Int) {
        let radius = Int(floatRadius)
        let ww = UInt32(Float(1 << 24) / (floatRadius * 2 + 1))
        let fw = (UInt32(1 << 24) &- UInt32(radius * 2 + 1) &* ww) / 2
        var line = [UInt8](repeating: 0, count: length)
        var out = [UInt8](repeating: 0, count: length)
        for l in 0..<count {
            for c in 0..<3 {
                let base = l * lineStride + c
                for x in 0..<length { line[x] = p[base + x * pixelStride] }
                for _ in 0..<passes {
                    boxBlurLine(line, into: &out, radius: radius, ww: ww, fw: fw)
                    swap(&line, &out)
                }
                for x in 0..<length { p[base + x * pixelStride] = line[x] }
            }
        }
    }

    /// Pillow's `ImagingLineBoxBlur8`: fixed point with 24 fractional bits, UInt32 wrap-around arithmetic.
    static func boxBlurLine(_ input: [UInt8], into output: inout [UInt8], radius: Int, ww: UInt32, fw: UInt32) {
        let n = input.count
        let lastx = n - 1
        let edgeA = min(radius + 1, n), edgeB = max(n - radius - 1, 0)
        input.withUnsafeBufferPointer { line in
            output.withUnsafeMutableBufferPointer { out in
                @inline(__always) func px(_ i: Int) -> UInt32 { UInt32(line[i]) }
                var acc = px(0) &* UInt32(radius + 1)
                if edgeA > 1 { for x in 0..<(edgeA - 1) { acc = acc &+ px(x) } }
                acc = acc &+ px(lastx) &* UInt32(radius - edgeA + 1)
                @inline(__always) func move(_ subtract: Int, _ add: Int) {
                    acc = acc &+ UInt32(bitPattern: Int32(line[add]) - Int32(line[subtract]))
                }
                @inline(__always) func save(_ x: Int, _ left: Int, _ right: Int) {
                    let bulk = acc &* ww &+ (px(left) + px(right)) &* fw
                    out[x] = UInt8(truncatingIfNeeded: (bulk &+ (1 << 23)) >> 24)
                }
                if edgeA <= edgeB {
                    for x in 0..<edgeA {
                        move(0, x + radius)
                        save(x, 0, x + radius + 1)
                    }
                    for x in edgeA..<edgeB {
                        move(x - radius - 1, x + radius)
                        save(x, x - radius - 1, x + radius + 1)
                    }
                    for x in edgeB...lastx {
                        move(x - radius - 1, lastx)
                        save(x, x - radius - 1, lastx)
                    }
                } else {
                    for x in 0..<edgeB {
                        move(0, x + radius)
                        save(x, 0, x + radius + 1)
                    }
                    for x in edgeB..<edgeA {
                        move(0, lastx)
                        save(x, 0, lastx)
                    }
                    if edgeA <= lastx {
                        for x in edgeA...lastx {
                            move(x - radius - 1, lastx)
                            save(x, x - radius - 1, lastx)
                        }
                    }
                }
            }
        }
    }

    // MARK: torchvision

    /// torchvision's `_get_gaussian_kernel1d` in float32: exp(-0.5·(x/σ)²) at x = -(k-1)/2 ... (k-1)/2, normalised.
    public static func kernel1D(size: Int, sigma: Float) -> [Float] {
        precondition(size >= 1 && size % 2 == 1, "kernel size must be odd and positive")
        let half = Float(size - 1) * 0.5
        let pdf = (0..<size).map { i -> Float in
            let x = (-half + Float(i)) / sigma
            return Foundation.exp(-0.5 * (x * x))
        }
        var sum: Float = 0
        for v in pdf { sum += v }
        return pdf.map { $0 / sum }
    }

    /// `F.gaussian_blur(pil_image, [k, k], [sigma, sigma])`: separable float convolution with reflect
    /// padding (`torch.nn.functional.pad(mode="reflect")`), then round half to even to uint8.
    public static func torchvision(_ image: RGBImage, kernelSize: Int = 9, sigma: Double) -> RGBImage {
        precondition(sigma > 0, "GaussianBlur.torchvision: sigma must be > 0")
        let w = image.width, h = image.height
        if w == 0 || h == 0 { return image }
        let k = kernel1D(size: kernelSize, sigma: Float(sigma)).map(Double.init)
        // torch convolves with the float32 outer-product kernel and float32 sums; the separable double
        // sums here differ by ~1e-6 relative, which only matters for values within that of a .5.
        let half = kernelSize / 2
        func reflect(_ i: Int, _ n: Int) -> Int {
            if n == 1 { return 0 }
            var j = i
            while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
            return j
        }
        // Pixels as SIMD4 (R, G, B, 0): one vector multiply-add per tap. The horizontal pass accumulates
        // in double and stores float; the vertical pass accumulates in double.
        var src = [SIMD4<Float>](repeating: .zero, count: w * h)
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<(w * h) { src[i] = SIMD4(Float(p[3 * i]), Float(p[3 * i + 1]), Float(p[3 * i + 2]), 0) }
        }
        var tmp = [SIMD4<Float>](repeating: .zero, count: w * h)
        var out = [UInt8](repeating: 0, count: w * h * 3)
        // Source column / row of tap j for output x / y: xs[x + j], ys[y + j].
        let xs = (0..<(w + 2 * half)).map { reflect($0 - half, w) }
        let ys = (0..<(h + 2 * half)).map { reflect($0 - half, h) }
        k.withUnsafeBufferPointer { k in
        xs.withUnsafeBufferPointer { xs in
        ys.withUnsafeBufferPointer { ys in
            src.withUnsafeBufferPointer { src in
                tmp.withUnsafeMutableBufferPointer { t in
                    for y in 0..<h {
                        let row = y * w
                        for x in 0..<w {
                            var acc = SIMD4<Double>.zero
                            for j in 0..<kernelSize {
                                let v = src[row + xs[x + j]]
                                acc += k[j] * SIMD4<Double>(Double(v.x), Double(v.y), Double(v.z), 0)
                            }
                            t[row + x] = SIMD4<Float>(Float(acc.x), Float(acc.y), Float(acc.z), 0)
                        }
                    }
                }
            }
            tmp.withUnsafeBufferPointer { t in
                out.withUnsafeMutableBufferPointer { dst in
                    @inline(__always) func quantise(_ v: Double) -> UInt8 {
                        UInt8(max(0, min(255, v.rounded(.toNearestOrEven))))
                    }
                    for y in 0..<h {
                        for x in 0..<w {
                            var acc = SIMD4<Double>.zero
                            for j in 0..<kernelSize {
                                let v = t[ys[y + j] * w + x]
                                acc += k[j] * SIMD4<Double>(Double(v.x), Double(v.y), Double(v.z), 0)
                            }
                            let d = (y * w + x) * 3
                            dst[d] = quantise(acc.x)
                            dst[d + 1] = quantise(acc.y)
                            dst[d + 2] = quantise(acc.z)
                        }
                    }
                }
            }
        }
        }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}

/// Which Gaussian blur an augmentation uses.
public enum BlurKind: String, Codable, Sendable {
    /// torchvision `GaussianBlur(kernel_size, sigma)` (DINOv2).
    case torchvision
    /// Pillow `ImageFilter.GaussianBlur(radius)` (DINO v1).
    case pil
}

/// Blur with probability `probability`, σ (or Pillow radius) uniform in `sigma`.
public struct RandomGaussianBlur: Sendable, Equatable {
    public var probability: Float
    public var sigma: ClosedRange<Double>
    public var kind: BlurKind
    public var kernelSize: Int

    public init(probability: Float = 0.5, sigma: ClosedRange<Double> = 0.1...2.0, kind: BlurKind = .torchvision,
                kernelSize: Int = 9) {
        self.probability = probability
        self.sigma = sigma
        self.kind = kind
        self.kernelSize = kernelSize
    }

    /// Draws "apply?" then (when applied) σ; returns nil when not applied.
    public func sampleSigma(rng: inout RNG) -> Double? {
        guard rng.uniform() < probability else { return nil }
        // torch.empty(1).uniform_ is float32; Python's random.uniform is double.
        let u = kind == .torchvision ? Double(rng.uniform()) : rng.uniformDouble()
        return sigma.lowerBound + (sigma.upperBound - sigma.lowerBound) * u
    }

    public func apply(_ image: RGBImage, sigma: Double) -> RGBImage {
        switch kind {
        case .torchvision: return GaussianBlur.torchvision(image, kernelSize: kernelSize, sigma: sigma)
        case .pil: return GaussianBlur.pil(image, radius: sigma)
        }
    }

    public func callAsFunction(_ image: RGBImage, rng: inout RNG) -> RGBImage {
        guard let s = sampleSigma(rng: &rng) else { return image }
        return apply(image, sigma: s)
    }
}
