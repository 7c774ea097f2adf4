import Foundation
import VTPNN

extension LightningDiTConfig {
    /// The constructor arguments a LightningDiT state dict was made with, read from its key names and shapes (what
    /// an official `.pt` checkpoint lacks: it holds weights and a training YAML, not the `LightningDiT(...)` call).
    ///
    /// From the weights: `hidden_size`, `in_channels`, `patch_size` (`x_embedder.proj.weight` [D, C, p, p]),
    /// `input_size` (`pos_embed` [1, T, D], T = (input/p)²), `depth` (the `blocks.N` count), `use_swiglu` (`mlp.w12`
    /// vs `mlp.fc1`) and `mlp_ratio` (its width), `use_rmsnorm` (`norm1.weight`), `use_qknorm` (`attn.q_norm`),
    /// `use_rope` (`feat_rope.freqs_cos` [T, head_dim], which also gives the head count), `wo_shift` (4·D vs 6·D
    /// adaLN rows) and `learn_sigma` (2·C output channels).
    ///
    /// Not in the weights, so taken from the arguments: `num_heads` (`heads`; else from RoPE's tables; else the preset
    /// of the same depth and width, e.g. 28 × 1152 → XL's 16; else an error asking for it); the label table has
    /// `num_classes` rows plus one for the null class when `class_dropout_prob` > 0 — the official default 0.1 is
    /// assumed unless `numClasses` says otherwise (`numClasses` = rows means no null class, rows − 1 the default).
    /// A state dict without RoPE tables counts as `use_rope: false` unless `useRope` says otherwise.
    public static func inferred(from weights: TensorSource, heads: Int? = nil, numClasses: Int? = nil,
                                useRope: Bool? = nil) throws -> LightningDiTConfig {
        let names = Set(weights.tensorNames)
        var problems: [String] = []
        func shape(_ name: String, rank: Int) -> [Int]? {
            guard names.contains(name) else { problems.append("no '\(name)'"); return nil }
            guard let s = try? weights.tensorShape(name), s.count == rank else {
                problems.append("'\(name)' is not a rank-\(rank) tensor"); return nil
            }
            return s
        }
        let embed = shape("x_embedder.proj.weight", rank: 4)
        let pos = shape("pos_embed", rank: 3)
        let table = shape("y_embedder.embedding_table.weight", rank: 2)
        let final = shape("final_layer.linear.weight", rank: 2)
        let blockIndices = Set(names.compactMap { n -> Int? in
            guard n.hasPrefix("blocks.") else { return nil }
            return Int(n.dropFirst("blocks.".count).prefix { $0 != "." })
        })
        if blockIndices.isEmpty { problems.append("no 'blocks.N.…' tensors") }
        if !blockIndices.isEmpty && blockIndices != Set(0..<blockIndices.count) {
            problems.append("the blocks are not numbered 0..<\(blockIndices.count)")
        }
        let swiglu = names.contains("blocks.0.mlp.w12.weight")
        let mlp = shape(swiglu ? "blocks.0.mlp.w12.weight" : "blocks.0.mlp.fc1.weight", rank: 2)
        let ada = shape("blocks.0.adaLN_modulation.1.weight", rank: 2)
        guard problems.isEmpty, let embed, let pos, let table, let final, let mlp, let ada else {
            throw VTPError.invalidInput("not a LightningDiT state dict: " + problems.joined(separator: "; "))
        }
        guard embed.allSatisfy({ $0 >= 1 }), pos.allSatisfy({ $0 >= 1 }), table[0] >= 1, final[0] >= 1, mlp[0] >= 1 else {
            throw VTPError.invalidInput("not a LightningDiT state dict: empty x_embedder, pos_embed, label table, MLP or final layer")
        }
        var c = LightningDiTConfig()
        (c.hiddenSize, c.inChannels, c.patchSize) = (embed[0], embed[1], embed[2])
        c.depth = blockIndices.count
        let grid = Int(Double(pos[1]).squareRoot().rounded())
        guard grid.multipliedReportingOverflow(by: grid) == (pos[1], false), embed[2] == embed[3], pos[2] == c.hiddenSize else {
            throw VTPError.invalidInput("pos_embed \(pos) and x_embedder.proj.weight \(embed) do not describe a square token grid")
        }
        let (input, overflow) = grid.multipliedReportingOverflow(by: c.patchSize)
        guard !overflow else { throw VTPError.invalidInput("pos_embed \(pos) with patch \(c.patchSize) overflows the latent size") }
        c.inputSize = input
        c.useSwiglu = swiglu
        c.mlpRatio = try Self.mlpRatio(hidden: c.hiddenSize, width: swiglu ? mlp[0] / 2 : mlp[0], swiglu: swiglu)
        c.useRmsnorm = names.contains("blocks.0.norm1.weight")
        c.useQknorm = names.contains("blocks.0.attn.q_norm.weight")
        let ropeTable = names.contains("feat_rope.freqs_cos") ? try weights.tensorShape("feat_rope.freqs_cos") : nil
        c.useRope = useRope ?? (ropeTable != nil)
        switch ada[0] {
        case 6 * c.hiddenSize: c.woShift = false
        case 4 * c.hiddenSize: c.woShift = true
        default: throw VTPError.invalidInput("blocks.0.adaLN_modulation.1.weight has \(ada[0]) rows, neither 6 nor 4 × hidden \(c.hiddenSize)")
        }
        let area = c.patchSize.multipliedReportingOverflow(by: c.patchSize)
        let perToken = area.overflow ? 0 : final[0] / area.partialValue
        guard perToken >= 1, perToken * area.partialValue == final[0], perToken == c.inChannels || perToken == 2 * c.inChannels else {
            throw VTPError.invalidInput("final_layer.linear.weight \(final) does not give \(c.inChannels) or \(2 * c.inChannels) channels per patch")
        }
        c.learnSigma = perToken == 2 * c.inChannels
        let rows = table[0]
        switch numClasses {
        case nil: (c.numClasses, c.classDropoutProb) = (rows - 1, 0.1)
        case let n? where n == rows: (c.numClasses, c.classDropoutProb) = (n, 0)
        case let n? where n == rows - 1: (c.numClasses, c.classDropoutProb) = (n, 0.1)
        case let n?: throw VTPError.invalidInput("the label table has \(rows) rows: num_classes must be \(rows) or \(rows - 1) (with the null class), not \(n)")
        }
        if let heads {
            c.numHeads = heads
        } else if let r = ropeTable, r.count == 2, r[1] > 0, c.hiddenSize % r[1] == 0 {
            c.numHeads = c.hiddenSize / r[1]
        } else if let preset = presetShapes.values.first(where: { $0.depth == c.depth && $0.hidden == c.hiddenSize }) {
            c.numHeads = preset.heads
        } else {
            throw VTPError.invalidInput("the head count of a \(c.depth)-block, \(c.hiddenSize)-wide LightningDiT is not in its weights (no RoPE tables, no preset of that shape): give it (vtp dit import --heads N)")
        }
        try c.validate()
        if c.useQknorm {
            let q = try weights.tensorShape("blocks.0.attn.q_norm.weight")
            if q != [c.headDimensions] {
                throw VTPError.invalidInput("blocks.0.attn.q_norm.weight \(q) does not match \(c.numHeads) heads of \(c.headDimensions)")
            }
        }
        return c
    }

    /// The `mlp_ratio` that gives an MLP of `width` (SwiGLU: int(2/3·int(D·r))); 4 when that fits.
    static func mlpRatio(hidden: Int, width: Int, swiglu: Bool) throws -> Double {
        func widthOf(_ r: Double) -> Int {
            let h = Int(Double(hidden) * r)
            return swiglu ? Int(2.0 / 3.0 * Double(h)) : h
        }
        if widthOf(4) == width { return 4 }
        // int(D·r) = h for r = h/D; SwiGLU's h is one of the two or three integers whose 2/3 truncates to `width`.
        let candidates = swiglu ? Array((width * 3 / 2)...(width * 3 / 2 + 2)) : [width]
        for h in candidates {
            let r = Double(h) / Double(hidden)
            if widthOf(r) == width { return r }
        }
        throw VTPError.invalidInput("no mlp_ratio gives a \(swiglu ? "SwiGLU" : "GELU") MLP of width \(width) at hidden size \(hidden)")
    }
}
