import ArgumentParser
import Foundation
import VTPEval

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
        try options.matmul.run {
            let outputs = try Reconstruction.reconstructFiles(model: try options.load(), inputs: imageOptions.inputs(images),
                                                              outputDirectory: output, sideBySide: sideBySide) {
                print(String(format: "%@ -> %@  PSNR %.2f dB", $0.input, $0.output.path, $0.psnr))
            }
            if images.count > 1 {
                let mean = outputs.map(\.psnr).reduce(0, +) / Double(images.count)
                print(String(format: "mean PSNR %.2f dB over %d images", mean, images.count))
            }
        }
    }
}
