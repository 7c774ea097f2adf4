// the teacher-side centring of facebookresearch/dinov2 (dinov2/loss/dino_clstoken_loss.py, ibot_patch_loss.py)
import VTPNN
import VTPTensor

/// The teacher's centre for the DINO or iBOT loss: a running mean of the teacher's prototype logits, subtracted
/// before the sharpened softmax so that no prototype dominates.
///
/// ```
/// targets = softmax((t − c) / τ_t)                 t: teacher logits [N, K], c: centre [K]
/// c ← m·c + (1 − m)·mean_rows(t)                   momentum m (0.9)
/// ```
/// dinov2 applies the update of step s at the start of step s + 1, so step s uses the centre of steps < s. Do the
/// same: `targets` with the current state, then `updated(with:)` the same logits, and keep the result for the next
/// step. DINO and iBOT each have their own centre (each saved under its own prefix).
public struct TeacherCentering: ObjectiveState, Sendable {
    /// The centre [K].
    public var center: Tensor
    public var momentum: Float

    public init(prototypes: Int, momentum: Float = 0.9) {
        center = Tensor.zeros([prototypes])
        self.momentum = momentum
    }

    public var prototypes: Int { center.count }

    /// softmax((t − c)/τ) over prototypes [N, K] (no gradient).
    public func targets(_ teacherLogits: Tensor, temperature: Float) -> Tensor {
        precondition(teacherLogits.shape.last == prototypes,
                     "TeacherCentering: logits \(teacherLogits.shape) do not have \(prototypes) prototypes")
        return withNoGrad { ((teacherLogits.detached() - center) * (1 / temperature)).softmax() }
    }

    /// The state after one update with this step's teacher logits [N, K] (every row counts once).
    public func updated(with teacherLogits: Tensor) -> TeacherCentering {
        precondition(teacherLogits.shape.last == prototypes,
                     "TeacherCentering: logits \(teacherLogits.shape) do not have \(prototypes) prototypes")
        var next = self
        next.center = withNoGrad {
            let rows = teacherLogits.detached().reshaped([-1, prototypes])
            return center * momentum + rows.mean(axis: 0) * (1 - momentum)
        }
        return next
    }

    public func stateTensors(prefix: String) -> [String: Tensor] { [prefix + ".center": center] }

    public mutating func loadState(from source: TensorSource, prefix: String) throws {
        center = try readTensor(prefix + ".center", shape: [prototypes], from: source)
    }
}

/// Sinkhorn-Knopp centring of teacher logits (dinov2 `sinkhorn_knopp_teacher`), the stateless alternative.
///
/// ```
/// Q = exp(t/τ)ᵀ  [K, B],  Q ← Q / ΣQ
/// repeat n times:  Q ← Q / (row sums · K)     each prototype gets total weight 1/K
///                  Q ← Q / (column sums · B)  each sample gets total weight 1/B
/// targets = (B·Q)ᵀ  [B, K]                      each row sums to 1
/// ```
/// B is the number of rows given (all teacher crops together for DINO, all masked patches for iBOT). We subtract
/// the global maximum of t before `exp`, which the first normalisation cancels exactly (dinov2 does not; its
/// logits are bounded by |t| ≤ 1 so it does not overflow there either).
public enum SinkhornKnopp {
    /// Targets [B, K] from teacher logits [B, K] (no gradient).
    public static func targets(_ teacherLogits: Tensor, temperature: Float, iterations: Int = 3) -> Tensor {
        precondition(teacherLogits.rank == 2, "SinkhornKnopp: expected logits [B, K], got \(teacherLogits.shape)")
        let (b, k) = (Float(teacherLogits.shape[0]), Float(teacherLogits.shape[1]))
        return withNoGrad {
            let t = teacherLogits.detached()
            let top = t.scalars.max() ?? 0
            var q = ((t - top) * (1 / temperature)).exp()             // [B, K]: dinov2's Qᵀ
            q = q / q.sum()
            for _ in 0..<iterations {
                q = q / (q.sum(axis: 0, keepDims: true) * k)           // per prototype
                q = q / (q.sum(axis: 1, keepDims: true) * b)           // per sample
            }
            return q * b
        }
    }
}
