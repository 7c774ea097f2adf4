import ArgumentParser
import Foundation

@main
struct VTP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vtp",
        abstract: "SwiftVTP: VTP visual tokenizers (encode, decode, embed, classify, train) on the CPU.",
        discussion: """
        Models are folders in the official Hugging Face layout (config.json + model.safetensors), e.g. \
        MiniMaxAI/VTP-Base-f16d64 downloaded by hand, or one made by `vtp init` / `vtp train`.

        Examples:
          vtp info --model VTP-Base-f16d64
          vtp reconstruct --model VTP-Base-f16d64 photo.jpg --output out/
          vtp zero-shot --model VTP-Base-f16d64 --classes cat,dog,car photo.jpg
          vtp tokenize "a photo of a cat"
        """,
        subcommands: [Train.self, Reconstruct.self, Encode.self, Decode.self, ZeroShot.self, Embed.self, Features.self, Tokenize.self, Forward.self, Compare.self, Info.self, Init.self,
                     Eval.self, Convert.self, Dit.self, Study.self])
}
