import Foundation
import VTPTensor

/// How training draws the flow time t ∈ (0, 1) (official `Transport.sample`).
public enum TimeDistribution: Equatable, Sendable {
    /// t = sigmoid(n), n ~ N(μ, σ²) (`use_lognorm`; official VTP: μ, σ = −0.5, 1.25 for S/B, −0.75, 1.0 for L/XL).
    case logitNormal(mu: Double, sigma: Double)
    /// t ~ U(0, 1).
    case uniform

    /// `count` draws (with the linear velocity path t₀ = 0, t₁ = 1, so no rescaling).
    public func sample(_ count: Int, rng: inout RNG) -> [Float] {
        switch self {
        case .uniform:
            return (0..<count).map { _ in rng.uniform() }
        case .logitNormal(let mu, let sigma):
            return (0..<count).map { _ in
                let n = mu + sigma * Double(rng.normal())
                return Float(1 / (1 + Foundation.exp(-n)))
            }
        }
    }
}
