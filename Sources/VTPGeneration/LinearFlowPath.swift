import VTPTensor

/// The official `ICPlan` (transport/path.py), the Linear path of SiT/LightningDiT rectified flow.
///
/// Time direction: **t = 0 is pure noise, t = 1 is data**. x_t = t·x₁ + (1 − t)·x₀ with x₁ the data and x₀ ~ N(0, I);
/// α_t = t, σ_t = 1 − t; the model predicts the velocity u_t = dx_t/dt = x₁ − x₀.
public enum LinearFlowPath {
    /// (x_t, u_t) for t [B], noise x₀ and data x₁ of the same shape [B, …] (differentiable in x₀ and x₁).
    public static func plan(t: [Float], noise x0: Tensor, data x1: Tensor) throws -> (xt: Tensor, ut: Tensor) {
        guard x0.shape == x1.shape, x1.rank >= 1, t.count == x1.shape[0] else {
            throw GenerationError.invalidInput("flow path: noise \(x0.shape), data \(x1.shape) and \(t.count) times do not match")
        }
        let tb = Tensor(t, shape: [t.count] + Array(repeating: 1, count: x1.rank - 1))
        let xt = tb * x1 + (1 - tb) * x0
        return (xt, x1 - x0)
    }
}
