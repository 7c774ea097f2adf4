import VTPTensor

/// The official flow-matching loss `mean_flat((pred − u_t)²)`: per sample, the mean over every axis but the first.
/// pred, target [B, …] → [B] (differentiable in pred).
public func velocityMSELoss(prediction: Tensor, target: Tensor) -> Tensor {
    precondition(prediction.shape == target.shape, "velocity MSE: prediction \(prediction.shape) ≠ target \(target.shape)")
    let b = prediction.shape[0]
    return (prediction - target).pow(2).reshaped([b, -1]).mean(axis: 1)
}
