import ArgumentParser
import Foundation
import VTPEval

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "CLIP embeddings of images and/or texts (L2-normalised), saved to safetensors; prints their cosine similarities.",
        discussion: "Example: vtp embed --model M --image a.jpg --image b.png --text \"a cat\" --text \"a dog\" --output emb.safetensors")

    @OptionGroup var options: ModelOptions
    @OptionGroup var imageOptions: ImageOptions

    @Option(name: .long, help: "An image file (repeat for several).")
    var image: [String] = []

    @Option(name: .long, help: "A text (repeat for several).")
    var text: [String] = []

    @Option(name: .long, help: "Output .safetensors (keys image_embeddings [I, W], text_embeddings [T, W]).")
    var output: String?

    func validate() throws {
        if image.isEmpty && text.isEmpty { throw ValidationError("give at least one --image or --text") }
    }

    func run() throws {
        try options.matmul.run {
            let e = try Embeddings(model: try options.load(), images: imageOptions.inputs(image), texts: text)
            if let output { try e.write(to: URL(fileURLWithPath: output)); print("wrote \(output)") }
            if let sim = e.similarity {
                print("cosine similarity (rows: images, columns: texts)")
                for (r, path) in image.enumerated() {
                    let row = (0..<text.count).map { String(format: "%7.4f", sim.data[r * text.count + $0]) }.joined(separator: " ")
                    print("  \(row)  \(path)")
                }
            } else if output == nil {
                for (name, t) in [("image", e.images), ("text", e.texts)] { if let t { print("\(name) embeddings \(t.shape)") } }
            }
        }
    }
}
