import VTPNN
import VTPTensor

/// LightningDiT `FinalLayer` (`final_layer`): linear(modulate(norm_final x, shift, scale)) with (shift, scale) =
/// adaLN_modulation(c) chunked **shift first** (always with a shift, also under `wo_shift`).
/// Keys: `norm_final` (RMSNorm `weight` or none), `linear` [p·p·C_out, D], `adaLN_modulation.1` [2D, D].
public final class DiTFinalLayer: Module {
    let normFinal: Module & NormLayer
    public let linear: Linear, adaLN: Linear
    public var items: [ModuleItem] {
        [.child("norm_final", normFinal), .child("linear", linear), .child("adaLN_modulation.1", adaLN)]
    }

    init(config c: LightningDiTConfig, rng: inout RNG) {
        let d = c.hiddenSize
        normFinal = c.useRmsnorm ? RMSNorm(d, eps: 1e-6) : LayerNorm(d, eps: 1e-6, affine: false)
        linear = Linear(d, c.patchSize * c.patchSize * c.outChannels, rng: &rng)
        adaLN = Linear(d, 2 * d, rng: &rng)
    }

    /// x [B, N, D], c [B, D] → [B, N, p·p·C_out].
    public func callAsFunction(_ x: Tensor, c: Tensor) -> Tensor {
        let m = adaLN(c.silu()).split([x.shape[2], x.shape[2]], axis: 1)
        return linear(modulate(normFinal(x), shift: m[0], scale: m[1]))
    }
}
