import VTPModels
import VTPTensor

/// The official `Transport.training_losses` for the Linear path and velocity prediction, with (t, x₀) given:
/// x_t, u_t from `LinearFlowPath`, pred = model(x_t, t, y), per-sample MSE and (optionally) cosine loss.
public struct FlowMatchingTerms {
    /// x_t, u_t, pred: [B, C, H, W]; loss, cosLoss: [B].
    public var xt: Tensor, ut: Tensor, prediction: Tensor
    public var loss: Tensor, cosLoss: Tensor
    /// mean(loss) + cosineWeight·mean(cosLoss): the scalar the official train.py minimises (weight 1 when
    /// `use_cosine_loss`, else 0).
    public func total(cosineWeight: Float) -> Tensor {
        cosineWeight == 0 ? loss.mean() : loss.mean() + cosLoss.mean() * cosineWeight
    }
}

extension LightningDiT {
    /// Flow-matching terms for data x₁ [B, C, H, W], noise x₀ (same shape), times t [B] and labels y [B] (already
    /// label-dropped when training). Differentiable in the model parameters and x₁.
    public func flowMatchingTerms(data x1: Tensor, noise x0: Tensor, t: [Float], y: [Int]) throws -> FlowMatchingTerms {
        let (xt, ut) = try LinearFlowPath.plan(t: t, noise: x0, data: x1)
        let pred = try self(xt, t: t, y: y)
        return FlowMatchingTerms(xt: xt, ut: ut, prediction: pred, loss: velocityMSELoss(prediction: pred, target: ut),
                                 cosLoss: velocityCosineLoss(prediction: pred, target: ut))
    }
}
