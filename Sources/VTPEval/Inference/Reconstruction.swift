import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// Reconstruction through the tokenizer (encode to latents, decode back) and its 8-bit quality, as the
/// official reconstruction evaluation measures it: originals rounded to 8 bits, reconstructions truncated,
/// PSNR = 20·log10(255/√MSE) per image.
public enum Reconstruction {
    /// One image and its reconstruction.
    public struct Pair {
        public var original: RGBImage
        public var reconstruction: RGBImage
        /// dB; NaN when the sizes differ (a decoder that does not upsample back to the input size).
        public var psnr: Double
    }

    /// One reconstructed file.
    public struct Output {
        public var input: String
        public var output: URL
        public var psnr: Double
    }

    /// 8-bit originals and reconstructions of a batch: `originals` and `reconstructions` [B, 3, H, W] in
    /// ImageNet-normalised space.
    public static func pairs(originals x: Tensor, reconstructions r: Tensor) throws -> [Pair] {
        let a = try ImageTensors.images(x, quantization: .roundToNearest), b = try ImageTensors.images(r)
        return zip(a, b).map { u, v in
            Pair(original: u, reconstruction: v, psnr: u.width == v.width && u.height == v.height ? ImageTensors.psnr(u, v) : .nan)
        }
    }

    /// Reconstructs image files into `outputDirectory/<name>.png` (with `sideBySide`, the preprocessed input
    /// and the reconstruction next to each other); calls `each` as every file is written.
    @discardableResult
    public static func reconstructFiles(model: VTPModel, inputs: ImageInputs, outputDirectory: String, sideBySide: Bool = false,
                                        each: (Output) -> Void = { _ in }) throws -> [Output] {
        let dir = try OutputFiles.directory(outputDirectory)
        var outputs: [Output] = []
        try inputs.forEachBatch(model: model, default: .adm) { paths, x in
            let recon = try withNoGrad { try model.reconstruct(x) }
            for (path, p) in zip(paths, try pairs(originals: x, reconstructions: recon)) {
                let img = sideBySide && p.original.height == p.reconstruction.height
                    ? ImageTensors.sideBySide(p.original, p.reconstruction) : p.reconstruction
                let dest = dir.appendingPathComponent(ImageInputs.stem(path) + ".png")
                try img.write(to: dest, format: .png)
                let o = Output(input: path, output: dest, psnr: p.psnr)
                outputs.append(o)
                each(o)
            }
        }
        return outputs
    }
}
