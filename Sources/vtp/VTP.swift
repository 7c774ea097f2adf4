import ArgumentParser

@main
struct VTP: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "SwiftVTP: VTP visual tokenizers in Swift.")
}
