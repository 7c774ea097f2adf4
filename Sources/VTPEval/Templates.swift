import Foundation
import VTPModels

/// Prompt templates for zero-shot classification ("{}" is replaced by the class name).
public enum PromptTemplates {
    /// The 80 ImageNet templates of OpenAI CLIP (used by the official VTP zero-shot evaluation).
    public static let openai: [String] = [
        "a bad photo of a {}.", "a photo of many {}.", "a sculpture of a {}.", "a photo of the hard to see {}.",
        "a low resolution photo of the {}.", "a rendering of a {}.", "graffiti of a {}.", "a bad photo of the {}.",
        "a cropped photo of the {}.", "a tattoo of a {}.", "the embroidered {}.", "a photo of a hard to see {}.",
        "a bright photo of a {}.", "a photo of a clean {}.", "a photo of a dirty {}.", "a dark photo of the {}.",
        "a drawing of a {}.", "a photo of my {}.", "the plastic {}.", "a photo of the cool {}.",
        "a close-up photo of a {}.", "a black and white photo of the {}.", "a painting of the {}.", "a painting of a {}.",
        "a pixelated photo of the {}.", "a sculpture of the {}.", "a bright photo of the {}.", "a cropped photo of a {}.",
        "a plastic {}.", "a photo of the dirty {}.", "a jpeg corrupted photo of a {}.", "a blurry photo of the {}.",
        "a photo of the {}.", "a good photo of the {}.", "a rendering of the {}.", "a {} in a video game.",
        "a photo of one {}.", "a doodle of a {}.", "a close-up photo of the {}.", "a photo of a {}.",
        "the origami {}.", "the {} in a video game.", "a sketch of a {}.", "a doodle of the {}.",
        "a origami {}.", "a low resolution photo of a {}.", "the toy {}.", "a rendition of the {}.",
        "a photo of the clean {}.", "a photo of a large {}.", "a rendition of a {}.", "a photo of a nice {}.",
        "a photo of a weird {}.", "a blurry photo of a {}.", "a cartoon {}.", "art of a {}.",
        "a sketch of the {}.", "a embroidered {}.", "a pixelated photo of a {}.", "itap of the {}.",
        "a jpeg corrupted photo of the {}.", "a good photo of a {}.", "a plushie {}.", "a photo of the nice {}.",
        "a photo of the small {}.", "a photo of the weird {}.", "the cartoon {}.", "art of the {}.",
        "a drawing of the {}.", "a photo of the large {}.", "a black and white photo of a {}.", "the plushie {}.",
        "a dark photo of a {}.", "itap of a {}.", "graffiti of the {}.", "a toy {}.",
        "itap of my {}.", "a photo of a cool {}.", "a photo of a small {}.", "a tattoo of the {}.",
    ]

    /// One template.
    public static let simple = ["a photo of a {}."]

    /// "openai", "simple", or a literal template containing "{}" (several may be separated by "|").
    public static func named(_ spec: String) -> [String]? {
        switch spec {
        case "openai": return openai
        case "simple": return simple
        default:
            let parts = spec.split(separator: "|").map(String.init)
            return parts.allSatisfy({ $0.contains("{}") }) && !parts.isEmpty ? parts : nil
        }
    }

    /// Fills a template.
    public static func fill(_ template: String, _ name: String) -> String {
        template.replacingOccurrences(of: "{}", with: name)
    }
}

/// Class-name lists for zero-shot classification.
public enum ClassNames {
    /// "cat, dog,car" → ["cat", "dog", "car"] (trimmed, empty entries dropped); an empty list is an error.
    public static func parse(commaSeparated text: String) throws -> [String] {
        try clean(text.split(separator: ",").map(String.init))
    }

    /// One class name per line of `file`.
    public static func read(file: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw VTPError.invalidInput("cannot read the class names file \(file)")
        }
        return try clean(text.split(whereSeparator: \.isNewline).map(String.init))
    }

    /// OpenCLIP's curated names of the 1,000 ImageNet classes in `ImageFolder` (sorted synset) order, as the
    /// official zero-shot evaluation uses them (`scripts/make_imagenet_classnames.py` wrote the resource).
    public static func imagenet() throws -> [String] {
        guard let url = Bundle.module.url(forResource: "imagenet_classnames", withExtension: "txt") else {
            throw VTPError.invalidInput("the ImageNet class names resource is missing from this build")
        }
        return try read(file: url.path)
    }

    static func clean(_ raw: [String]) throws -> [String] {
        let names = raw.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw VTPError.invalidInput("no class names given") }
        return names
    }
}
