import VTPTensor

/// A velocity field v(x, t) with x [B, …] and one time t for the whole batch → [B, …].
public typealias VelocityField = (Tensor, Float) throws -> Tensor

/// torchdiffeq's fixed-grid solvers on the grid itself (`odeint(method: "euler" | "heun2")` without `step_size`),
/// in Float as PyTorch runs them: dt = t_{k+1} − t_k; Euler x_{k+1} = x_k + dt·v(x_k, t_k); Heun (RK2, Butcher
/// [[0], [1, 1], [½, ½]]) x_{k+1} = x_k + dt·(½·k₁ + ½·k₂), k₁ = v(x_k, t_k), k₂ = v(x_k + dt·k₁·1, t_k + dt·1).
/// The field is never evaluated at the last grid point by Euler.
public enum FixedGridSolver: String, Sendable, CaseIterable {
    case euler
    case heun2

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
                let dx: Tensor
                switch self {
                case .euler:
                    dx = k1 * dt
                case .heun2:
                    let k2 = try v(x + k1 * dt * 1, t0 + dt * 1)
                    dx = (k1 * 0.5 + k2 * 0.5) * dt
                }
                x = x + dx
                if keepAll || k == grid.count - 2 { states.append(x) }
            }
            return states
        }
    }
}
