import Foundation

extension VTPConfig {
    /// Named model sizes. `large` is the released VTP-L-f16d64 config.json; `small` and `base` follow the
    /// official factory functions (vit_small/base + matching pixel decoders, the L text tower) — the exact
    /// released S/B configs may differ, so load their config.json when you have it. `tiny` is for quick
    /// experiments on a laptop CPU.
    public static func preset(_ name: String) -> VTPConfig? {
        var c = VTPConfig()
        switch name {
        case "tiny":
            (c.visionEmbedDim, c.visionDepth, c.visionNumHeads) = (192, 6, 3)
            (c.decoderEmbedDim, c.decoderDepth, c.decoderNumHeads) = (192, 4, 3)
            (c.textEmbedDim, c.textDepth, c.textNumHeads) = (256, 4, 4)
        case "small":
            (c.visionEmbedDim, c.visionDepth, c.visionNumHeads) = (384, 12, 6)
            (c.decoderEmbedDim, c.decoderDepth, c.decoderNumHeads) = (384, 12, 6)
        case "base":
            break  // the official VTPConfig defaults are the B shape
        case "large":
            (c.visionEmbedDim, c.visionDepth, c.visionNumHeads) = (1024, 24, 16)
            (c.decoderEmbedDim, c.decoderDepth, c.decoderNumHeads) = (1024, 24, 16)
        default:
            return nil
        }
        return c
    }

    public static let presetNames = ["tiny", "small", "base", "large"]
}

extension VTPModel {
    /// A randomly initialised model of `preset` (official initialisation, `seed`) with `imageSize` recorded in its
    /// config, saved in the official format to `directory`.
    public static func initialize(preset: String, imageSize: Int = 256, seed: UInt64 = 0, directory: URL) throws -> VTPModel {
        guard var config = VTPConfig.preset(preset) else {
            throw VTPError.invalidInput("unknown preset '\(preset)'; choose one of \(VTPConfig.presetNames.joined(separator: ", "))")
        }
        config.imageSize = imageSize
        let m = try VTPModel(config: config, seed: seed)
        try m.save(directory: directory)
        return m
    }
}
