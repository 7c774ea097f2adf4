import CLAPACK
import Foundation
import VTPData
import VTPTensor

/// Gaussian statistics of a feature set: the mean [D] and the unbiased covariance [D, D] (as `np.cov(rowvar=False)`),
/// in float64, row-major.
public struct FeatureStatistics: Sendable, Equatable {
    public let mu: [Double]
    public let sigma: [Double]
    public var dimension: Int { mu.count }

    public init(mu: [Double], sigma: [Double]) throws {
        guard !mu.isEmpty, sigma.count == mu.count * mu.count else {
            throw MetricError.invalidInput("statistics: mu has \(mu.count) values and sigma \(sigma.count); sigma must be [D, D] for mu [D]")
        }
        self.mu = mu
        self.sigma = sigma
    }

    /// Statistics of `count` feature vectors of `dimension` values each (row-major [N, D]); N ≥ 2.
    public init(features: [Double], count n: Int, dimension d: Int) throws {
        guard n >= 2, d >= 1, features.count == n * d else {
            throw MetricError.invalidInput("features: need [N, D] with N ≥ 2, got \(features.count) values for N \(n), D \(d)")
        }
        var mu = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mu[j] += features[i * d + j] } }
        for j in 0..<d { mu[j] /= Double(n) }
        // Centred features, column-major D×N for BLAS (that is row-major [N, D] read as Xᵀ).
        var centred = features
        for i in 0..<n { for j in 0..<d { centred[i * d + j] -= mu[j] } }
        var cov = [Double](repeating: 0, count: d * d)
        var (nd, nn) = (Int32(d), Int32(n))
        var alpha = 1 / Double(n - 1), beta = 0.0
        // C (D×D) = alpha · Xc Xcᵀ, with Xc the D×N column-major view of the row-major [N, D] data.
        dsyrk_("U", "N", &nd, &nn, &alpha, centred, &nd, &beta, &cov, &nd)
        // 'U' in column-major is the row-major lower triangle (row a, column b ≤ a): mirror it.
        for a in 0..<d { for b in 0..<a { cov[b * d + a] = cov[a * d + b] } }
        self.mu = mu
        self.sigma = cov
    }
}

/// Errors of the metric functions: what is wrong with the input.
public enum MetricError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidInput(String)
    case numerical(String)
    public var description: String {
        switch self {
        case let .invalidInput(s): return s
        case let .numerical(s): return s
        }
    }
}

/// The Fréchet distance between two Gaussians (FID when the features are Inception pool3):
///
/// ```
/// d² = ‖μ_a − μ_b‖² + tr σ_a + tr σ_b − 2 tr √(σ_a σ_b)
/// ```
/// `tr √(σ_a σ_b)` is computed stably in float64 with LAPACK's symmetric eigensolver: s = √σ_a (from σ_a = V Λ Vᵀ,
/// negative round-off eigenvalues clamped to 0), then tr √(σ_a σ_b) = Σ √λ_i(s σ_b s), since s σ_b s is symmetric
/// positive semi-definite and similar to σ_a σ_b. This equals the real part of the trace pytorch-fid takes from
/// `scipy.linalg.sqrtm(σ_a σ_b)`. As pytorch-fid, when the result is not finite the computation is repeated with
/// 1e-6 added to both diagonals.
public enum FrechetDistance {
    public static func distance(_ a: FeatureStatistics, _ b: FeatureStatistics) throws -> Double {
        guard a.dimension == b.dimension else {
            throw MetricError.invalidInput("Fréchet distance: the statistics have dimensions \(a.dimension) and \(b.dimension)")
        }
        let d = a.dimension
        var meanTerm = 0.0
        for i in 0..<d { let x = a.mu[i] - b.mu[i]; meanTerm += x * x }
        var traces = 0.0
        for i in 0..<d { traces += a.sigma[i * d + i] + b.sigma[i * d + i] }
        if let t = try? traceSqrtProduct(a.sigma, b.sigma, d), t.isFinite {
            return meanTerm + traces - 2 * t
        }
        var sa = a.sigma, sb = b.sigma
        for i in 0..<d { sa[i * d + i] += 1e-6; sb[i * d + i] += 1e-6 }
        let t = try traceSqrtProduct(sa, sb, d)
        guard t.isFinite else { throw MetricError.numerical("Fréchet distance: tr √(σ_a σ_b) is not finite even with 1e-6 added to the diagonals") }
        return meanTerm + traces - 2 * t
    }

    /// tr √(A B) for symmetric positive semi-definite A, B [d, d] (row-major; symmetric, so also column-major).
    static func traceSqrtProduct(_ a: [Double], _ b: [Double], _ d: Int) throws -> Double {
        let (va, la) = try symmetricEigen(a, d)
        // s = V diag(√λ) Vᵀ; V is column-major (column j = eigenvector j).
        var scaled = va
        for j in 0..<d {
            let r = Swift.max(la[j], 0).squareRoot()
            for i in 0..<d { scaled[j * d + i] *= r }
        }
        var s = [Double](repeating: 0, count: d * d), t = s, m = s
        gemm("N", "T", d, scaled, va, &s)  // V √Λ Vᵀ
        gemm("N", "N", d, s, b, &t)        // s B
        gemm("N", "N", d, t, s, &m)        // s B s
        for i in 0..<d { for j in 0..<i { let avg = (m[i * d + j] + m[j * d + i]) / 2; m[i * d + j] = avg; m[j * d + i] = avg } }
        let eig = try symmetricEigenvalues(m, d)
        return eig.reduce(0) { $0 + Swift.max($1, 0).squareRoot() }
    }

    private static func gemm(_ ta: String, _ tb: String, _ d: Int, _ x: [Double], _ y: [Double], _ out: inout [Double]) {
        var n = Int32(d), one = 1.0, zero = 0.0
        dgemm_(ta, tb, &n, &n, &n, &one, x, &n, y, &n, &zero, &out, &n)
    }

    /// Eigenvectors (column-major, column j for eigenvalue j) and ascending eigenvalues of a symmetric matrix.
    static func symmetricEigen(_ m: [Double], _ d: Int) throws -> ([Double], [Double]) {
        try eigen(m, d, vectors: true)
    }

    static func symmetricEigenvalues(_ m: [Double], _ d: Int) throws -> [Double] { try eigen(m, d, vectors: false).1 }

    private static func eigen(_ m: [Double], _ d: Int, vectors: Bool) throws -> ([Double], [Double]) {
        guard m.allSatisfy({ $0.isFinite }) else { throw MetricError.numerical("eigendecomposition of a matrix with non-finite entries") }
        var a = m, w = [Double](repeating: 0, count: d)
        var n = Int32(d), info: Int32 = 0, lwork: Int32 = -1, liwork: Int32 = -1
        var workSize = 0.0, iworkSize: Int32 = 0
        let jobz = vectors ? "V" : "N"
        dsyevd_(jobz, "U", &n, &a, &n, &w, &workSize, &lwork, &iworkSize, &liwork, &info)
        guard info == 0 else { throw MetricError.numerical("LAPACK dsyevd workspace query failed (info \(info))") }
        lwork = Int32(workSize)
        liwork = iworkSize
        var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(jobz, "U", &n, &a, &n, &w, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else { throw MetricError.numerical("LAPACK dsyevd failed to converge (info \(info))") }
        return (a, w)
    }
}

extension FeatureStatistics {
    /// Reads statistics or features from a file:
    /// - safetensors with `mu` [D] and `sigma` [D, D], or `features` [N, D] (statistics computed here);
    /// - NumPy `.npz` with `mu` and `sigma` (ADM reference batches), or `features` / `arr_0` 2-D features.
    public static func load(url: URL) throws -> FeatureStatistics {
        let ext = url.pathExtension.lowercased()
        func build(_ get: (String) throws -> StoredTensor?) throws -> FeatureStatistics {
            if let mu = try get("mu"), let sigma = try get("sigma") {
                guard mu.shape.count == 1, sigma.shape == [mu.shape[0], mu.shape[0]] else {
                    throw MetricError.invalidInput("\(url.path): mu \(mu.shape) and sigma \(sigma.shape) must be [D] and [D, D]")
                }
                return try FeatureStatistics(mu: mu.doubles, sigma: sigma.doubles)
            }
            for key in ["features", "arr_0"] {
                guard let f = try get(key) else { continue }
                guard f.shape.count == 2, f.dtype.isFloatingPoint else {
                    throw MetricError.invalidInput("\(url.path): '\(key)' is \(f.dtype) \(f.shape); features must be float [N, D]")
                }
                return try FeatureStatistics(features: f.doubles, count: f.shape[0], dimension: f.shape[1])
            }
            throw MetricError.invalidInput("\(url.path): holds neither 'mu' and 'sigma' nor 'features' [N, D]")
        }
        if ext == "npz" {
            let z = try NumPyArchive(url: url)
            return try build { z.contains($0) ? try z.array($0) : nil }
        }
        let f = try SafeTensorsFile(url: url)
        return try build { name in
            guard f.contains(name) else { return nil }
            let info = try f.info(name)
            return StoredTensor(dtype: info.dtype, shape: info.shape, bytes: try f.bytes(name))
        }
    }

    /// Writes `mu` [D] and `sigma` [D, D] as F64 safetensors.
    public func save(to url: URL) throws {
        var w = SafeTensorsWriter(metadata: ["format": "frechet-statistics"])
        let d = dimension
        try w.add(name: "mu", shape: [d], dtype: .f64, bytes: mu.withUnsafeBytes { Array($0) })
        try w.add(name: "sigma", shape: [d, d], dtype: .f64, bytes: sigma.withUnsafeBytes { Array($0) })
        try w.write(to: url)
    }
}
