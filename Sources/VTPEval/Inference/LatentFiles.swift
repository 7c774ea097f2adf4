import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// Latent files: a safetensors file with `latents` [B, C, h, w] and, in its metadata, the names of the images
/// they came from (`images`, a JSON array), so that decoding can name its outputs.
public enum LatentFiles {
    /// Encodes image files to latents [B, C, H/p, W/p] and writes them to `output`; returns the latents.
    @discardableResult
    public static func encode(model: VTPModel, inputs: ImageInputs, output: URL) throws -> Tensor {
        var parts: [Tensor] = []
        try inputs.forEachBatch(model: model, default: .adm) { _, x in
            parts.append(try withNoGrad { try model.reconstructionLatents(x) })
        }
        let latents = Tensor.concat(parts, axis: 0)
        let names = String(data: try JSONSerialization.data(withJSONObject: inputs.paths), encoding: .utf8) ?? "[]"
        try OutputFiles.writeTensors([("latents", latents)], metadata: ["images": names], to: output)
        return latents
    }

    /// Reads `latents` [B, C, h, w] for `model` and the image names it records (stems; empty when none).
    public static func read(_ url: URL, for model: VTPModel) throws -> (latents: Tensor, names: [String]) {
        let file = try SafeTensorsFile(url: url)
        let latents = try file.tensor("latents")
        guard latents.rank == 4, latents.shape[1] == model.config.latentChannels else {
            throw VTPError.invalidInput("'latents' in \(url.path) must be [B, \(model.config.latentChannels), h, w] for this model, got \(latents.shape)")
        }
        var names: [String] = []
        if let json = file.metadata["images"]?.data(using: .utf8), let list = try? JSONSerialization.jsonObject(with: json) as? [String] {
            names = list.map(ImageInputs.stem)
        }
        return (latents, names)
    }

    /// Decodes a latent file to PNGs in `outputDirectory` (named after the encoded images, else
    /// `decoded_0000.png`, …), `batch` latents per pass; calls `each` with every file written.
    @discardableResult
    public static func decode(model: VTPModel, input: URL, outputDirectory: String, batch: Int = 8,
                              each: (URL) -> Void = { _ in }) throws -> [URL] {
        let (latents, names) = try read(input, for: model)
        let dir = try OutputFiles.directory(outputDirectory)
        let b = latents.shape[0], step = max(batch, 1)
        var written: [URL] = []
        for start in stride(from: 0, to: b, by: step) {
            let chunk = latents.slice(axis: 0, start..<min(start + step, b))
            for (i, img) in try ImageTensors.images(try withNoGrad { try model.decode(chunk) }).enumerated() {
                let idx = start + i
                let dest = dir.appendingPathComponent((idx < names.count ? names[idx] : String(format: "decoded_%04d", idx)) + ".png")
                try img.write(to: dest, format: .png)
                written.append(dest)
                each(dest)
            }
        }
        return written
    }
}
