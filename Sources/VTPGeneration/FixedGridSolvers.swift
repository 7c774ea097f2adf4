import VTPTensor

/// A velocity field v(x, t) with x [B, …] and one time t for the whole batch → [B, …].
public typealias VelocityField = (Tensor, Float) throws -> Tensor

/// torchdiffeq's fixed-grid solvers on the grid itself (`odeint(method:)` without `step_size`), in Float with the
/// operation order of torchdiffeq 0.2.5: dt = t_{k+1} − t_k, k₁ = v(x_k, t_k), x_{k+1} = x_k + Δ with
/// - euler: Δ = dt·k₁ (the field is never evaluated at the last grid point);
/// - midpoint: Δ = dt·v(x_k + k₁·dt/2, t_k + dt/2);
/// - heun2 (Butcher [[0], [1, 1], [½, ½]]): k₂ = v(x_k + dt·k₁, t_k + dt), Δ = dt·(½k₁ + ½k₂);
/// - heun3 ([[0], [⅓, ⅓], [⅔, 0, ⅔], [¼, 0, ¾]]): k₂ = v(x_k + dt·k₁·⅓, t_k + dt·⅓),
///   k₃ = v(x_k + dt·(k₁·0 + k₂·⅔), t_k + dt·⅔), Δ = dt·(¼k₁ + 0·k₂ + ¾k₃);
/// - rk4 (the 3/8 rule, `rk4_alt_step_func`): k₂ = v(x + dt·k₁·⅓, t + dt·⅓), k₃ = v(x + dt·(k₂ − k₁·⅓), t + dt·⅔),
///   k₄ = v(x + dt·(k₁ − k₂ + k₃), t_{k+1}), Δ = (k₁ + 3(k₂ + k₃) + k₄)·dt·⅛.
public enum FixedGridSolver: String, Sendable, CaseIterable {
    case euler, midpoint, heun2, heun3, rk4

    /// The state at every grid point: [grid.count] states of x0's shape, [0] = x0 (with `keepAll` false only x0 and
    /// the last state).
    public func integrate(_ v: VelocityField, from x0: Tensor, grid: [Float], keepAll: Bool = true) throws -> [Tensor] {
        try withNoGrad {
            var states = [x0]
            var x = x0
            for k in 0..<(grid.count - 1) {
                let (t0, t1) = (grid[k], grid[k + 1])
                let dt = t1 - t0
                let k1 = try v(x, t0)
                let (third, twoThirds): (Float, Float) = (Float(1.0 / 3), Float(2.0 / 3))
                let dx: Tensor
                switch self {
                case .euler:
                    dx = k1 * dt
                case .midpoint:
                    let half = 0.5 * dt
                    dx = try v(x + k1 * half, t0 + half) * dt
                case .heun2:
                    let k2 = try v(x + k1 * dt * 1, t0 + dt * 1)
                    dx = (k1 * 0.5 + k2 * 0.5) * dt
                case .heun3:
                    let k2 = try v(x + k1 * dt * third, t0 + dt * third)
                    let k3 = try v(x + (k1 * 0 + k2 * twoThirds) * dt, t0 + dt * twoThirds)
                    dx = (k1 * 0.25 + k2 * 0 + k3 * 0.75) * dt
                case .rk4:
                    let k2 = try v(x + k1 * dt * third, t0 + dt * third)
                    let k3 = try v(x + (k2 - k1 * third) * dt, t0 + dt * twoThirds)
                    let k4 = try v(x + (k1 - k2 + k3) * dt, t1)
                    dx = (k1 + (k2 + k3) * 3 + k4) * dt * 0.125
                }
                x = x + dx
                if keepAll || k == grid.count - 2 { states.append(x) }
            }
            return states
        }
    }
}
