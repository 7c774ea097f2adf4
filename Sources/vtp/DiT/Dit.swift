import ArgumentParser

/// `vtp dit …`: the LightningDiT generator on VTP latents.
struct Dit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dit",
        abstract: "LightningDiT generation on tokenizer latents.",
        subcommands: [DitExtract.self, DitTrain.self, DitSample.self, DitImport.self, DitReference.self])
}
