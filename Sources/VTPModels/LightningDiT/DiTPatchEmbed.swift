import VTPNN
import VTPTensor

/// timm `PatchEmbed` as LightningDiT uses it (`x_embedder`): Conv2d(C, D, kernel p, stride p), flattened to tokens
/// in row-major order (token = row·(H/p) + col). Keys: `proj.weight` [D, C, p, p], `proj.bias` [D].
public final class DiTPatchEmbed: Module {
    public let proj: Conv2d
    public let patchSize: Int
    public var items: [ModuleItem] { [.child("proj", proj)] }

    public init(inChannels: Int, hiddenSize: Int, patchSize: Int, rng: inout RNG) {
        proj = Conv2d(inChannels, hiddenSize, kernel: patchSize, stride: patchSize, rng: &rng)
        self.patchSize = patchSize
    }

    /// x [B, C, H, W] → tokens [B, (H/p)·(W/p), D].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = proj(x)
        let (b, d) = (y.shape[0], y.shape[1])
        return y.reshaped([b, d, -1]).permuted([0, 2, 1])
    }
}
