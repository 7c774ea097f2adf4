// port of KoLeoLoss of facebookresearch/dinov2 (dinov2/loss/koleo_loss.py)
import VTPTensor

/// The Kozachenko–Leonenko entropy regulariser (Sablayrolles et al. 2018), which spreads the student's CLS
/// features over the sphere.
///
/// ```
/// x̂_i = x_i / max(‖x_i‖, ε)
/// n(i) = argmax_{j ≠ i} x̂_i·x̂_j                      nearest neighbour (no gradient through the choice)
/// d_i = ‖x̂_i − x̂_n(i) + ε‖                            torch.nn.PairwiseDistance(eps: ε) adds ε to the difference
/// L = −mean_i log(d_i + ε)                            ε = 1e-8
/// ```
/// Shapes: x [B, D] with B ≥ 2 (pre-head student CLS tokens of one global crop; dinov2 sums the loss of each global
/// crop and weights it by 0.1). The gradient flows through both x̂_i and its neighbour.
public enum KoLeoLoss {
    public static func loss(_ x: Tensor, eps: Float = 1e-8) -> Tensor {
        precondition(x.rank == 2 && x.shape[0] >= 2, "KoLeoLoss: expected [B ≥ 2, D], got \(x.shape)")
        let b = x.shape[0]
        let xn = x.l2Normalized(eps: eps)
        let neighbour: [Int] = withNoGrad {
            let dots = xn.detached().matmul(xn.detached(), transposeB: true)
            for i in 0..<b { dots.data[i * b + i] = -1 }  // dinov2 fills the diagonal with −1
            return dots.argmaxLastAxis()
        }
        let diff = xn - xn.gatherRows(neighbour) + eps
        let d = (diff * diff).sum(axis: -1).sqrt()
        return -(d + eps).log().mean()
    }
}
