import VTPTensor

/// The official cosine loss `mean_flat(1 − cosine_similarity(pred, u_t, dim=1))`: the cosine between the channel
/// vectors of prediction and target at every position, 1 − cos averaged over the positions of each sample.
/// Each channel vector is divided by max(‖v‖, 1e-8) (PyTorch's eps). pred, target [B, C, …] → [B]
/// (differentiable in both).
public func velocityCosineLoss(prediction: Tensor, target: Tensor) -> Tensor {
    precondition(prediction.shape == target.shape && prediction.rank >= 2,
                 "velocity cosine loss: prediction \(prediction.shape) ≠ target \(target.shape) or rank < 2")
    let (b, c) = (prediction.shape[0], prediction.shape[1])
    // [B, C, P] → [B, P, C]: channel vectors on the last axis.
    func rows(_ x: Tensor) -> Tensor { x.reshaped([b, c, -1]).permuted([0, 2, 1]).l2Normalized(eps: 1e-8) }
    let cos = (rows(prediction) * rows(target)).sum(axis: 2)
    return (1 - cos).mean(axis: 1)
}
