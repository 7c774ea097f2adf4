extension LightningDiTConfig {
    /// Named sizes: the official factory functions `LightningDiT_{B,L,XL,1p0B,1p6B}_{1,2}` (depth, width, heads,
    /// patch) plus DiT's S and a tiny T for this project's 2-core machines. A preset sets only those four fields;
    /// everything else keeps its current value (pass `base` with the flags, channels and classes you want).
    ///
    /// | name | depth | hidden | heads |
    /// |---|---|---|---|
    /// | T | 6 | 192 | 3 |
    /// | S | 12 | 384 | 6 |
    /// | B | 12 | 768 | 12 |
    /// | L | 24 | 1024 | 16 |
    /// | XL | 28 | 1152 | 16 |
    /// | 1p0B | 24 | 1536 | 24 |
    /// | 1p6B | 28 | 1792 | 28 |
    ///
    /// Names are `<size>/<patch>` (e.g. `XL/1`, `B/2`, also with the `LightningDiT-` prefix). The official
    /// factories exist for B/1, B/2, L/2, XL/1, XL/2, 1p0B/1, 1p0B/2, 1p6B/1, 1p6B/2; any patch is accepted here.
    public static func preset(_ name: String, base: LightningDiTConfig = LightningDiTConfig()) -> LightningDiTConfig? {
        var n = name
        if n.hasPrefix("LightningDiT-") { n.removeFirst("LightningDiT-".count) }
        let parts = n.split(separator: "/")
        guard parts.count == 2, let patch = Int(parts[1]), patch >= 1,
              let shape = presetShapes[String(parts[0])] else { return nil }
        var c = base
        (c.depth, c.hiddenSize, c.numHeads, c.patchSize) = (shape.depth, shape.hidden, shape.heads, patch)
        return c
    }

    /// (depth, hidden, heads) by size name.
    public static let presetShapes: [String: (depth: Int, hidden: Int, heads: Int)] = [
        "T": (6, 192, 3), "S": (12, 384, 6), "B": (12, 768, 12), "L": (24, 1024, 16), "XL": (28, 1152, 16),
        "1p0B": (24, 1536, 24), "1p6B": (28, 1792, 28),
    ]

    /// The preset names of the official factory table plus the small ones.
    public static let presetNames = ["T/1", "T/2", "S/1", "S/2", "B/1", "B/2", "L/2", "XL/1", "XL/2",
                                     "1p0B/1", "1p0B/2", "1p6B/1", "1p6B/2"]

    /// The official VTP generation setting (MiniMax-AI/VTP `generation/configs`): RMSNorm, RoPE, SwiGLU, no q/k norm,
    /// on 16×16×64 latents with 1000 classes. Combine with a preset: `preset("XL/1", base: .vtpLatents)`.
    public static var vtpLatents: LightningDiTConfig {
        var c = LightningDiTConfig()
        (c.inputSize, c.inChannels, c.numClasses) = (16, 64, 1000)
        (c.useRmsnorm, c.useRope, c.useSwiglu, c.useQknorm) = (true, true, true, false)
        return c
    }

    /// Number of parameters `LightningDiT(config:)` has (incl. the fixed `pos_embed`, as PyTorch's
    /// `sum(p.numel() for p in model.parameters())`; RoPE tables are buffers), without building the model.
    /// `Int.max` for a configuration too large to count in 64 bits.
    public var parameterCount: Int {
        let n = estimatedParameterCount
        return n < 9.2e18 ? Int(n) : Int.max
    }

    /// `parameterCount` in floating point (exact below 2⁵³), safe for any configuration a file may hold.
    public var estimatedParameterCount: Double {
        let grid = patchSize > 0 ? Double(inputSize / patchSize) : 0
        let (d, p, t) = (Double(hiddenSize), Double(patchSize), grid * grid)
        let hd = numHeads > 0 ? Double(hiddenSize / numHeads) : 0
        let rows = Double(numClasses) + (classDropoutProb > 0 ? 1 : 0), out = Double(inChannels) * (learnSigma ? 2 : 1)
        let h = Double(mlpHiddenSize), k: Double = woShift ? 4 : 6
        func linear(_ i: Double, _ o: Double) -> Double { i * o + o }
        let embed = linear(Double(inChannels) * p * p, d) + t * d + linear(256, d) + linear(d, d) + rows * d
        let norms = useRmsnorm ? 2 * d : 0
        let qkNorm = useQknorm ? (useRmsnorm ? 2 * hd : 4 * hd) : 0
        let mlp = useSwiglu ? linear(d, 2 * h) + linear(h, d) : linear(d, h) + linear(h, d)
        let block = norms + linear(d, 3 * d) + qkNorm + linear(d, d) + mlp + linear(d, k * d)
        let final = (useRmsnorm ? d : 0) + linear(d, p * p * out) + linear(d, 2 * d)
        return embed + Double(depth) * block + final
    }
}
