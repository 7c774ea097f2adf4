// port of the DINO CLS-token loss of facebookresearch/dinov2 (dinov2/loss/dino_clstoken_loss.py and its use in
// dinov2/train/ssl_meta_arch.py)
import VTPTensor

/// The DINO self-distillation loss on CLS tokens after the `DINOHead`.
///
/// ```
/// H(t, s) = mean_b [ −Σ_k t[b, k] · log_softmax(s[b, :] / τ_s)[k] ]      t: teacher targets, s: student logits
/// L = ( Σ_{i ≠ j} H(T_j, S^g_i) + Σ_l Σ_j H(T_j, S^loc_l) ) / (n_g(n_g − 1) + n_loc·n_g)
/// ```
/// Student global crop i is paired with every teacher crop j ≠ i (for two crops this is dinov2's swap of the
/// teacher's crops); every local crop with every teacher crop; the sum is divided by the number of pairs.
/// Teacher targets come from `TeacherCentering.targets` or `SinkhornKnopp.targets` at `teacherTemperature(…)`.
///
/// Shapes: each crop [B, K] (B images, K prototypes). τ_s = 0.1 (dinov2).
///
/// Deviation: with no local crops dinov2 still divides by n_g(n_g − 1) + 1 (`max(n_local·n_global, 1)`); we
/// divide by the number of pairs.
public enum DINOLoss {
    public static let studentTemperature: Float = 0.1

    /// The loss (scalar) of student logits per crop against teacher targets per global crop.
    /// - Parameters:
    ///   - studentGlobal: the student's logits for each global crop [B, K]; crop i is not paired with teacher i.
    ///   - studentLocal: the student's logits for each local crop [B, K].
    ///   - teacher: the teacher's targets for each global crop [B, K] (rows sum to 1; not differentiated).
    public static func loss(studentGlobal: [Tensor], studentLocal: [Tensor] = [], teacher: [Tensor],
                            studentTemperature: Float = DINOLoss.studentTemperature) -> Tensor {
        precondition(!teacher.isEmpty, "DINOLoss: no teacher crops")
        precondition(studentGlobal.count <= teacher.count,
                     "DINOLoss: \(studentGlobal.count) student global crops but \(teacher.count) teacher crops")
        let shape = teacher[0].shape
        for t in teacher + studentGlobal + studentLocal {
            precondition(t.rank == 2 && t.shape == shape, "DINOLoss: every crop must be [B, K] = \(shape), got \(t.shape)")
        }
        let targets = teacher.map { $0.detached() }
        var total: Tensor?
        var pairs = 0
        func add(_ student: Tensor, skipping own: Int?) {
            let logp = (student * (1 / studentTemperature)).logSoftmax()
            for (j, t) in targets.enumerated() where j != own {
                let h = -(t * logp).sum(axis: -1).mean()
                total = total.map { $0 + h } ?? h
                pairs += 1
            }
        }
        for (i, s) in studentGlobal.enumerated() { add(s, skipping: i) }
        for s in studentLocal { add(s, skipping: nil) }
        guard let total else { return Tensor(scalar: 0) }
        return total * (1 / Float(pairs))
    }

    /// The teacher temperature at `step` (dinov2: linear warm-up from 0.04 to 0.07 over the first 30 epochs, then
    /// constant): `start + (end − start)·step/(warmupSteps − 1)` while `step < warmupSteps`, as `np.linspace`.
    public static func teacherTemperature(step: Int, warmupSteps: Int, start: Float = 0.04, end: Float = 0.07) -> Float {
        guard warmupSteps > 1, step < warmupSteps else { return warmupSteps == 1 && step == 0 ? start : end }
        let f = Double(Swift.max(step, 0)) / Double(warmupSteps - 1)
        return Float(Double(start) + (Double(end) - Double(start)) * f)
    }
}
