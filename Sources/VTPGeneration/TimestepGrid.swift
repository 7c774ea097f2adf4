/// The official sampling time grid (transport/integrators.py `ode`): `torch.linspace(0, 1, n)` in Float, each point
/// then mapped by the timestep shift t' = s·t / (1 + (s − 1)·t) when s > 0 (s < 1 puts more points near t = 0,
/// the noise end). `n` counts grid points, so a fixed-grid solver makes n − 1 updates.
public enum TimestepGrid {
    /// n ≥ 2 points from 0 to 1, as PyTorch's float32 linspace computes them (step (1 − 0)/(n − 1) in Float,
    /// the first half step·i, the second half 1 − step·(n − 1 − i) with one rounding (a fused multiply-add);
    /// bit-identical to `torch.linspace(0, 1, n)` for every n < 1200 checked), shifted when `shift` > 0.
    public static func make(points n: Int, shift: Double = 0) throws -> [Float] {
        guard n >= 2 else { throw GenerationError.invalidSettings("num_sampling_steps must be ≥ 2 (grid points incl. both ends), got \(n)") }
        let step: Float = 1 / Float(n - 1)
        let halfway = n / 2
        let grid: [Float] = (0..<n).map { i in
            i < halfway ? step * Float(i) : Float(1).addingProduct(-step, Float(n - 1 - i))
        }
        guard shift > 0 else { return grid }
        let s = Float(shift), sm1 = Float(shift - 1)
        return grid.map { t in (s * t) / (1 + sm1 * t) }
    }
}
