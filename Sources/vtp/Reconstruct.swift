import ArgumentParser
import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

struct Reconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode images to latents and decode them back; writes PNGs and prints PSNR.",
        discussion: "Example: vtp reconstruct --model VTP-Base-f16d64 photo.jpg --output out/ --side-by-side")

    @OptionGroup var options: ModelOptions
    @OptionGroup var imageOptions: ImageOptions

    @Option(name: .long, help: "Output folder for <name>.png.")
    var output: String

    @Flag(name: .long, help: "Write the preprocessed input and the reconstruction next to each other.")
    var sideBySide = false

    @Argument(help: "Image files (PNG or JPEG).")
    var images: [String]

    func run() throws {
        let model = try options.load()
        let pipeline = try imageOptions.pipeline(for: model, default: "adm")
        try ensureDirectory(output)
        var total = 0.0
        try imageOptions.forEachBatch(images, pipeline: pipeline) { paths, x in
            let recon = try withNoGrad { try model.reconstruct(x) }
            let originals = try ImageTensors.images(x, quantization: .roundToNearest), outs = try ImageTensors.images(recon)
            for (i, path) in paths.enumerated() {
                let psnr = outs[i].width == originals[i].width ? ImageTensors.psnr(originals[i], outs[i]) : .nan
                total += psnr
                let img = sideBySide && outs[i].height == originals[i].height ? ImageTensors.sideBySide(originals[i], outs[i]) : outs[i]
                let dest = URL(fileURLWithPath: output).appendingPathComponent(stem(path) + ".png")
                try img.write(to: dest, format: .png)
                print(String(format: "%@ -> %@  PSNR %.2f dB", path, dest.path, psnr))
            }
        }
        if images.count > 1 { print(String(format: "mean PSNR %.2f dB over %d images", total / Double(images.count), images.count)) }
    }
}

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode images to latents [B, C, H/p, W/p] in a safetensors file (key `latents`).")

    @OptionGroup var options: ModelOptions
    @OptionGroup var imageOptions: ImageOptions

    @Option(name: .long, help: "Output .safetensors file.")
    var output: String

    @Argument(help: "Image files (PNG or JPEG).")
    var images: [String]

    func run() throws {
        let model = try options.load()
        let pipeline = try imageOptions.pipeline(for: model, default: "adm")
        var parts: [Tensor] = []
        try imageOptions.forEachBatch(images, pipeline: pipeline) { _, x in
            parts.append(try withNoGrad { try model.reconstructionLatents(x) })
        }
        let latents = Tensor.concat(parts, axis: 0)
        let names = String(data: try JSONSerialization.data(withJSONObject: images), encoding: .utf8) ?? "[]"
        var w = SafeTensorsWriter(metadata: ["format": "pt", "images": names])
        try w.add(name: "latents", shape: latents.shape, floats: latents.scalars)
        try w.write(to: URL(fileURLWithPath: output))
        print("latents \(latents.shape) -> \(output)")
    }
}

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode latents (key `latents`, [B, C, h, w]) from a safetensors file to PNG images.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Input .safetensors file (as written by `vtp encode`).")
    var input: String

    @Option(name: .long, help: "Output folder.")
    var output: String

    @Option(name: .long, help: "Latents per forward pass.")
    var batch: Int = 8

    func run() throws {
        let model = try options.load()
        let file = try SafeTensorsFile(url: URL(fileURLWithPath: input))
        guard file.names.contains("latents") else {
            throw ValidationError("\(input) has no tensor named 'latents' (it has: \(file.names.joined(separator: ", ")))")
        }
        let latents = Tensor(try file.floats("latents"), shape: try file.info("latents").shape)
        guard latents.rank == 4, latents.shape[1] == model.config.latentChannels else {
            throw ValidationError("'latents' must be [B, \(model.config.latentChannels), h, w] for this model, got \(latents.shape)")
        }
        var names: [String] = []
        if let json = file.metadata["images"]?.data(using: .utf8), let list = try? JSONSerialization.jsonObject(with: json) as? [String] {
            names = list.map(stem)
        }
        try ensureDirectory(output)
        let b = latents.shape.first ?? 0
        for start in stride(from: 0, to: b, by: max(batch, 1)) {
            let chunk = latents.slice(axis: 0, start..<min(start + batch, b))
            let images = try ImageTensors.images(try withNoGrad { try model.decode(chunk) })
            for (i, img) in images.enumerated() {
                let idx = start + i
                let name = idx < names.count ? names[idx] : String(format: "decoded_%04d", idx)
                let dest = URL(fileURLWithPath: output).appendingPathComponent(name + ".png")
                try img.write(to: dest, format: .png)
                print(dest.path)
            }
        }
    }
}
