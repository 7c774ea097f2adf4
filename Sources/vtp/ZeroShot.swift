import ArgumentParser
import Foundation
import VTPData
import VTPEval
import VTPModels
import VTPNN
import VTPTensor

struct ZeroShot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zero-shot",
        abstract: "Classify images among class names with the CLIP towers (no training).",
        discussion: """
        Each class is embedded as the mean of its normalised prompt embeddings (as open_clip builds zero-shot \
        classifiers); images use the official zero-shot preprocessing (squash to 256×256).

          vtp zero-shot --model VTP-Base-f16d64 --classes "cat,dog,golden retriever" photo.jpg
          vtp zero-shot --model M --classes-file imagenet.txt --templates simple *.jpg
          vtp zero-shot --model M --classes cat,dog --templates "a blurry photo of a {}." photo.jpg
        """)

    @OptionGroup var options: ModelOptions
    @OptionGroup var imageOptions: ImageOptions

    @Option(name: .long, help: "Comma-separated class names.")
    var classes: String?

    @Option(name: .long, help: "File with one class name per line.")
    var classesFile: String?

    @Option(name: .long, help: "openai (80 templates), simple (\"a photo of a {}.\"), or your own template(s) with {} (separate several with |).")
    var templates: String = "openai"

    @Option(name: .long, help: "How many classes to print per image.")
    var topK: Int = 5

    @Argument(help: "Image files (PNG or JPEG).")
    var images: [String]

    func validate() throws {
        if (classes == nil) == (classesFile == nil) { throw ValidationError("give exactly one of --classes or --classes-file") }
        if PromptTemplates.named(templates) == nil { throw ValidationError("--templates must be openai, simple, or contain {}") }
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
    }

    func classNames() throws -> [String] {
        let raw: [String]
        if let classes { raw = classes.split(separator: ",").map(String.init) } else {
            guard let text = try? String(contentsOfFile: classesFile!, encoding: .utf8) else {
                throw ValidationError("cannot read --classes-file \(classesFile!)")
            }
            raw = text.split(whereSeparator: \.isNewline).map(String.init)
        }
        let names = raw.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ValidationError("no class names given") }
        return names
    }

    func run() throws {
        let model = try options.load()
        let names = try classNames()
        let classifier = try ZeroShotClassifier(model: model, tokenizer: try CLIPTokenizer(), classNames: names,
                                                templates: PromptTemplates.named(templates)!)
        let pipeline = try imageOptions.pipeline(for: model, default: "squash")
        try imageOptions.forEachBatch(images, pipeline: pipeline) { paths, x in
            let feats = try withNoGrad { try model.clipImageFeatures(x) }
            for (path, top) in zip(paths, classifier.topK(imageFeatures: feats, k: min(topK, names.count))) {
                print(path)
                for (c, p) in top { print(String(format: "  %6.2f%%  %@", 100 * p, names[c])) }
            }
        }
    }
}

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
        let model = try options.load()
        var w = SafeTensorsWriter(metadata: ["format": "pt"])
        var imageEmb: Tensor? = nil, textEmb: Tensor? = nil
        if !image.isEmpty {
            var parts: [Tensor] = []
            try imageOptions.forEachBatch(image, pipeline: try imageOptions.pipeline(for: model, default: "squash")) { _, x in
                parts.append(try withNoGrad { try model.clipImageFeatures(x) })
            }
            imageEmb = Tensor.concat(parts, axis: 0)
            try w.add(name: "image_embeddings", shape: imageEmb!.shape, floats: imageEmb!.scalars)
        }
        if !text.isEmpty {
            let ids = try CLIPTokenizer().tokenize(text, contextLength: model.config.textContextLength).flatMap { $0.map(Int.init) }
            textEmb = try withNoGrad { try model.clipTextFeatures(tokens: ids, rows: text.count) }
            try w.add(name: "text_embeddings", shape: textEmb!.shape, floats: textEmb!.scalars)
        }
        if let output { try w.write(to: URL(fileURLWithPath: output)); print("wrote \(output)") }
        if let i = imageEmb, let t = textEmb {
            let sim = withNoGrad { i.matmul(t, transposeB: true) }
            print("cosine similarity (rows: images, columns: texts)")
            for (r, path) in image.enumerated() {
                let row = (0..<text.count).map { String(format: "%7.4f", sim.data[r * text.count + $0]) }.joined(separator: " ")
                print("  \(row)  \(path)")
            }
        } else if output == nil {
            for (name, e) in [("image", imageEmb), ("text", textEmb)] { if let e { print("\(name) embeddings \(e.shape)") } }
        }
    }
}

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Vision features (final-norm CLS and patch tokens, optionally of the last N blocks) to safetensors.",
        discussion: "Example: vtp features --model M photo.jpg --layers 4 --output feats.safetensors")

    @OptionGroup var options: ModelOptions
    @OptionGroup var imageOptions: ImageOptions

    @Option(name: .long, help: "Output .safetensors file.")
    var output: String

    @Option(name: .long, help: "Also save the last N blocks (intermediate_patch_i / intermediate_cls_i).")
    var layers: Int = 0

    @Flag(name: .long, help: "Pass the last layer's tokens through the bottleneck (latent width).")
    var bottleneck = false

    @Flag(name: .long, help: "Save intermediate patch tokens as [B, D, h, w] instead of [B, N, D].")
    var reshape = false

    @Argument(help: "Image files (PNG or JPEG).")
    var images: [String]

    func run() throws {
        let model = try options.load()
        var collected: [String: [Tensor]] = [:]
        var order: [String] = []
        func add(_ k: String, _ t: Tensor) {
            if collected[k] == nil { order.append(k) }
            collected[k, default: []].append(t)
        }
        try imageOptions.forEachBatch(images, pipeline: try imageOptions.pipeline(for: model, default: "adm")) { _, x in
            try withNoGrad {
                let last = try model.lastLayerFeatures(x, useBottleneck: bottleneck)
                add("cls_token", last.clsToken)
                add("patch_tokens", last.patchTokens)
                if layers > 0 {
                    for (i, pair) in try model.intermediateLayers(x, last: layers, reshape: reshape).enumerated() {
                        add("intermediate_patch_\(i)", pair.patches)
                        add("intermediate_cls_\(i)", pair.cls)
                    }
                }
            }
        }
        var w = SafeTensorsWriter(metadata: ["format": "pt"])
        for k in order {
            let t = Tensor.concat(collected[k]!, axis: 0)
            try w.add(name: k, shape: t.shape, floats: t.scalars)
            print("\(k) \(t.shape)")
        }
        try w.write(to: URL(fileURLWithPath: output))
        print("wrote \(output)")
    }
}
