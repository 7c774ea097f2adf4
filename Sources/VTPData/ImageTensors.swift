import Foundation
import VTPTensor

/// Images ↔ model tensors.
public enum ImageTensors {
    /// Loads and preprocesses image files into one batch [B, 3, H, W] (ImageNet-normalised).
    /// Every image must come out at the same size (all pipelines produce fixed sizes).
    public static func load(_ urls: [URL], pipeline: Preprocess.Pipeline) throws -> Tensor {
        try batch(urls.map { try RGBImage.load($0) }, pipeline: pipeline)
    }

    /// Preprocesses decoded images into one batch [B, 3, H, W].
    public static func batch(_ images: [RGBImage], pipeline: Preprocess.Pipeline) throws -> Tensor {
        guard !images.isEmpty else { throw ImageError.invalidArgument("no images") }
        var values: [Float] = []
        var size: (Int, Int)? = nil
        for img in images {
            let (v, h, w) = pipeline.tensor(img)
            if let size, size != (h, w) {
                throw ImageError.invalidArgument("images in one batch must share a size; got \(size.0)x\(size.1) and \(h)x\(w)")
            }
            size = (h, w)
            values += v
        }
        return Tensor(values, shape: [images.count, 3, size!.0, size!.1])
    }

    /// A batch [B, 3, H, W] in ImageNet-normalised space back to 8-bit images (clamped; truncated like the
    /// official reconstruction evaluation, or rounded).
    public static func images(_ x: Tensor, quantization: Preprocess.Quantization = .truncate) throws -> [RGBImage] {
        guard x.rank == 4, x.shape[1] == 3 else { throw ImageError.invalidArgument("expected [B, 3, H, W], got \(x.shape)") }
        let (b, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let plane = 3 * h * w
        return try (0..<b).map { i in
            let values = Array(UnsafeBufferPointer(start: x.data + i * plane, count: plane))
            return try Preprocess.imageFromNormalizedCHW(values, width: w, height: h, quantization: quantization)
        }
    }

    /// Two images of equal height side by side (left | right).
    public static func sideBySide(_ a: RGBImage, _ b: RGBImage) -> RGBImage {
        let h = max(a.height, b.height), w = a.width + b.width
        var px = [UInt8](repeating: 255, count: w * h * 3)
        for (img, x0) in [(a, 0), (b, a.width)] {
            for y in 0..<img.height {
                for x in 0..<img.width {
                    for c in 0..<3 { px[(y * w + x0 + x) * 3 + c] = img.pixels[(y * img.width + x) * 3 + c] }
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: px)
    }

    /// PSNR in dB between two 8-bit images of equal size: 20·log10(255/√MSE) (∞ when identical).
    public static func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
        precondition(a.width == b.width && a.height == b.height, "psnr: sizes differ")
        var se = 0.0
        for i in 0..<a.pixels.count { let d = Double(a.pixels[i]) - Double(b.pixels[i]); se += d * d }
        let mse = se / Double(a.pixels.count)
        return mse == 0 ? .infinity : 20 * log10(255 / mse.squareRoot())
    }
}
