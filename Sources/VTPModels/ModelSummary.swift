import Foundation
import VTPNN

/// A human-readable description of a model: configuration and parameters per tower.
public enum ModelSummary {
    public static func describe(_ m: VTPModel) throws -> String {
        let c = m.config
        func millions(_ n: Int) -> String { String(format: "%.2fM", Double(n) / 1e6) }
        var lines: [String] = []
        lines.append("VTP model: image \(c.imageSize), patch \(c.visionPatchSize), latents \(c.latentChannels) channels")
        lines.append("  vision:  width \(c.visionEmbedDim), depth \(c.visionDepth), heads \(c.visionNumHeads), \(c.visionFfnLayer), \(c.visionNormLayer)"
                     + (c.visionInitValues.map { ", LayerScale \($0)" } ?? "") + (c.visionUseQkNorm ? ", QK-norm" : ""))
        if c.trainReconstruction {
            lines.append("  decoder: width \(c.decoderEmbedDim), depth \(c.decoderDepth), heads \(c.decoderNumHeads), \(c.decoderFfnLayer), \(c.decoderNormLayer), upscale \(c.upscaleFactor)")
        }
        if c.trainClip {
            lines.append("  text:    width \(c.textEmbedDim), depth \(c.textDepth), heads \(c.textNumHeads), context \(c.textContextLength), vocabulary \(c.textVocabSize), pool \(c.textPoolType)")
        }
        lines.append("parameters:")
        lines.append("  trunk          \(millions(m.trunk.parameterCount))")
        if let p = m.pixelDecoder { lines.append("  pixel_decoder  \(millions(p.parameterCount))") }
        if let t = m.text { lines.append("  text tower     \(millions(t.parameterCount))") }
        if let v = m.visualProj { lines.append("  visual_proj    \(millions(v.parameterCount))") }
        lines.append("  total          \(millions(m.parameterCount))")
        return lines.joined(separator: "\n")
    }
}
