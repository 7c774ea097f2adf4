import Foundation
import VTPNN
import VTPTensor

/// A LightningDiT model folder (`ModelFolderModel`): `config.json` (the `LightningDiT.__init__` arguments, official
/// names) and `model.safetensors` (`model.state_dict()`, official keys), which the official
/// `LightningDiT(**config).load_state_dict(..., strict=True)` accepts unchanged.
extension LightningDiT: ModelFolderModel {
    /// Loads a state dict with the official keys into this model, strictly: every missing, unexpected or misshapen
    /// key is named in one error. The RoPE tables `feat_rope.freqs_cos/_sin` may be absent (recomputed).
    public func loadWeights(from source: TensorSource) throws {
        try load(from: source, optionalBuffers: ["feat_rope.freqs_cos", "feat_rope.freqs_sin"])
    }
}

extension LightningDiTConfig: ModelFolderConfig {}
