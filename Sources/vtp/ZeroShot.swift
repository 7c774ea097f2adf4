import ArgumentParser
import Foundation
import VTPData
import VTPEval

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

    func run() throws {
        try options.matmul.run {
            let model = try options.load()
            let names = try classes.map(ClassNames.parse(commaSeparated:)) ?? ClassNames.read(file: classesFile ?? "")
            let classifier = try ZeroShotClassifier(model: model, tokenizer: try CLIPTokenizer(), classNames: names,
                                                    templates: PromptTemplates.named(templates) ?? [])
            try classifier.classify(model: model, inputs: imageOptions.inputs(images), topK: topK) { path, top in
                print(path)
                for (c, p) in top { print(String(format: "  %6.2f%%  %@", 100 * p, names[c])) }
            }
        }
    }
}
