import ArgumentParser
import Foundation
import VTPData

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn text into CLIP token ids (the official VTP tokenizer).",
        discussion: """
        Each row is [49406, ids…, 49407] padded with 0 to the context length (cut to the context length with the \
        end token kept). Prints a JSON array with one row per string.

          vtp tokenize "a photo of a cat" "a dog"
          vtp tokenize --json captions.json          # a JSON array of strings
        """)

    @Option(name: .long, parsing: .unconditional, help: "Row length (2 to 65536).")
    var contextLength: Int = 77

    @Option(name: .long, help: "Read the strings from a JSON array in this file.")
    var json: String?

    @Argument(help: "Strings to tokenise.")
    var texts: [String] = []

    func validate() throws {
        if contextLength < 2 { throw ValidationError("--context-length must be at least 2 (start and end tokens)") }
        if contextLength > 65_536 { throw ValidationError("--context-length must be at most 65536, got \(contextLength)") }
        if json == nil && texts.isEmpty { throw ValidationError("give TEXT arguments or --json FILE") }
    }

    func run() throws {
        var strings = texts
        if let json {
            guard let data = FileManager.default.contents(atPath: json) else { throw ValidationError("cannot read \(json)") }
            guard let array = (try? JSONSerialization.jsonObject(with: data)) as? [Any], array.allSatisfy({ $0 is String }) else {
                throw ValidationError("\(json) must hold a JSON array of strings")
            }
            strings += array.compactMap { $0 as? String }
        }
        // Rows are padded to the context length: bound what is held at once.
        guard strings.count * contextLength <= 50_000_000 else {
            throw ValidationError("\(strings.count) strings × context length \(contextLength) is over 50 million ids; tokenise fewer strings at a time or use a shorter --context-length")
        }
        let tokenizer = try CLIPTokenizer()
        let rows = tokenizer.tokenize(strings, contextLength: contextLength)
        print("[" + rows.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",\n ") + "]")
    }
}
