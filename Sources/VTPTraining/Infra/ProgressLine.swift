import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Training progress on standard error: `step 120/2000  loss 1.234  4.5 img/s  ETA 6m12s`.
///
/// On a terminal it is one line rewritten in place (carriage return + clear to end of line, at most every
/// `minRedraw` seconds); otherwise (a log file, CI) a plain line every `everySteps` steps or `everySeconds`
/// seconds, whichever comes first, and at the last step. Rates are smoothed with an exponential moving average
/// of time constant `smoothing` seconds, so the ETA does not jump with every step.
public final class ProgressLine {
    public let totalSteps: Int
    public let interactive: Bool
    public var everySteps: Int
    public var everySeconds: Double
    public var minRedraw = 0.1
    public var smoothing = 20.0
    /// Smoothed optimizer steps per second.
    public private(set) var stepsPerSecond: Double?
    /// Smoothed images per second.
    public private(set) var imagesPerSecond: Double?

    private let output: (String) -> Void
    private let now: () -> Double
    private var last: (time: Double, step: Int)?
    private var lastPrint = -Double.infinity
    private var lastPrintedStep: Int?
    private var lineOpen = false

    /// - Parameters:
    ///   - interactive: nil: whether standard error is a terminal.
    ///   - output: receives the text to write (default: standard error).
    ///   - now: the clock in seconds (default: monotonic).
    public init(totalSteps: Int, interactive: Bool? = nil, everySteps: Int = 50, everySeconds: Double = 30,
                output: ((String) -> Void)? = nil, now: (() -> Double)? = nil) {
        self.totalSteps = totalSteps
        self.interactive = interactive ?? (isatty(2) != 0)
        self.everySteps = max(1, everySteps)
        self.everySeconds = everySeconds
        self.output = output ?? { FileHandle.standardError.write(Data($0.utf8)) }
        self.now = now ?? { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    }

    /// Records that `step` (1-based count of completed steps) finished, having processed `images` images
    /// since the previous update, and shows the line when due.
    public func update(step: Int, loss: Double? = nil, images: Int = 0, extra: [(String, Double)] = []) {
        let t = now()
        if let (t0, s0) = last, t > t0, step > s0 {
            let dt = t - t0
            let a = 1 - Foundation.exp(-dt / smoothing)
            let sps = Double(step - s0) / dt, ips = Double(images) / dt
            stepsPerSecond = stepsPerSecond.map { $0 + a * (sps - $0) } ?? sps
            if images > 0 { imagesPerSecond = imagesPerSecond.map { $0 + a * (ips - $0) } ?? ips }
        }
        last = (t, step)
        let text = line(step: step, loss: loss, extra: extra)
        if interactive {
            guard t - lastPrint >= minRedraw || step >= totalSteps else { return }
            output("\r" + text + "\u{1B}[K")
            lineOpen = true
        } else {
            let due = step >= totalSteps || step % everySteps == 0 || t - lastPrint >= everySeconds
            guard due, lastPrintedStep != step else { return }
            output(text + "\n")
        }
        lastPrint = t
        lastPrintedStep = step
    }

    /// Prints a message on its own line without garbling the progress line.
    public func message(_ text: String) {
        if interactive && lineOpen { output("\r\u{1B}[K"); lineOpen = false }
        output(text + "\n")
        lastPrint = -Double.infinity
    }

    /// Ends the progress line (on a terminal: moves to the next line).
    public func finish() {
        if interactive && lineOpen { output("\n"); lineOpen = false }
    }

    /// The text for `step` with the current rates.
    public func line(step: Int, loss: Double?, extra: [(String, Double)] = []) -> String {
        var parts = ["step \(step)/\(totalSteps)"]
        if let loss { parts.append("loss " + Self.number(loss)) }
        for (k, v) in extra { parts.append("\(k) " + Self.number(v)) }
        if let ips = imagesPerSecond { parts.append(String(format: ips >= 100 ? "%.0f img/s" : "%.1f img/s", ips)) }
        if let sps = stepsPerSecond, sps > 0, step < totalSteps {
            parts.append("ETA " + Self.duration(Double(totalSteps - step) / sps))
        }
        return parts.joined(separator: "  ")
    }

    /// `1.234`, `0.0123`, `1.2e-05`, `nan`.
    static func number(_ v: Double) -> String {
        if !v.isFinite { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        let a = abs(v)
        if a != 0 && (a < 1e-3 || a >= 1e5) { return String(format: "%.2e", v) }
        return String(format: "%.4g", v)
    }

    /// `45s`, `6m12s`, `2h05m`, `3d04h`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" + String(format: "%02ds", s % 60) }
        if s < 86400 { return "\(s / 3600)h" + String(format: "%02dm", (s % 3600) / 60) }
        return "\(s / 86400)d" + String(format: "%02dh", (s % 86400) / 3600)
    }
}
