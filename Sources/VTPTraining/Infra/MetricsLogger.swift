import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of `metrics.jsonl`.
///
/// Written as `{"step":120,"loss":1.234,"loss/clip":0.5,…,"lr":0.0003,"wd":0.04,"grad_norm":2.1,
/// "images_per_s":45.6,"elapsed_s":812.3,…extra}`; non-finite numbers are written as null.
public struct MetricsRecord: Equatable, Sendable {
    public var step: Int
    /// The total loss (`loss`).
    public var loss: Double?
    /// Each loss term (`loss/<name>`).
    public var terms: [String: Double]
    public var lr: Double?
    public var weightDecay: Double?
    public var gradNorm: Double?
    public var imagesPerSecond: Double?
    /// Seconds since the run (or the resumed run) started.
    public var elapsed: Double?
    /// Any other number (e.g. `teacher_momentum`, `eval/psnr`).
    public var extra: [String: Double]

    public init(step: Int, loss: Double? = nil, terms: [String: Double] = [:], lr: Double? = nil, weightDecay: Double? = nil,
                gradNorm: Double? = nil, imagesPerSecond: Double? = nil, elapsed: Double? = nil, extra: [String: Double] = [:]) {
        self.step = step
        self.loss = loss
        self.terms = terms
        self.lr = lr
        self.weightDecay = weightDecay
        self.gradNorm = gradNorm
        self.imagesPerSecond = imagesPerSecond
        self.elapsed = elapsed
        self.extra = extra
    }

    /// Every number by its JSON key (`loss`, `loss/clip`, `lr`, …), in the order of the line.
    public var fields: [(key: String, value: Double?)] {
        var f: [(String, Double?)] = []
        if let loss { f.append(("loss", loss)) }
        for k in terms.keys.sorted() { f.append(("loss/" + k, terms[k])) }
        for (k, v) in [("lr", lr), ("wd", weightDecay), ("grad_norm", gradNorm), ("images_per_s", imagesPerSecond), ("elapsed_s", elapsed)]
        where v != nil { f.append((k, v)) }
        for k in extra.keys.sorted() { f.append((k, extra[k])) }
        return f
    }

    /// The value of a JSON key (`loss`, `loss/dino`, `lr`, an extra key, …).
    public func value(_ key: String) -> Double? {
        switch key {
        case "loss": return loss
        case "lr": return lr
        case "wd": return weightDecay
        case "grad_norm": return gradNorm
        case "images_per_s": return imagesPerSecond
        case "elapsed_s": return elapsed
        default: return key.hasPrefix("loss/") ? terms[String(key.dropFirst(5))] : extra[key]
        }
    }

    /// One JSON object, no newline.
    public var jsonLine: String {
        var s = "{\"step\":\(step)"
        for (k, v) in fields {
            s += "," + ConfigValue.quoted(k) + ":" + (v.flatMap { $0.isFinite ? "\($0)" : nil } ?? "null")
        }
        return s + "}"
    }

    /// Parses a line written by `jsonLine` (unknown keys become `extra`; nulls are NaN).
    public init?(jsonLine: String) {
        guard let data = jsonLine.data(using: .utf8),
              case .object(let o)? = try? JSONDecoder().decode(JSONValue.self, from: data),
              case .int(let step)? = o["step"] else { return nil }
        self.init(step: step)
        for (k, v) in o where k != "step" {
            let d: Double
            switch v {
            case .int(let i): d = Double(i)
            case .double(let x): d = x
            case .null: d = .nan
            default: continue
            }
            switch k {
            case "loss": loss = d
            case "lr": lr = d
            case "wd": weightDecay = d
            case "grad_norm": gradNorm = d
            case "images_per_s": imagesPerSecond = d
            case "elapsed_s": elapsed = d
            default: if k.hasPrefix("loss/") { terms[String(k.dropFirst(5))] = d } else { extra[k] = d }
            }
        }
    }
}

/// Appends one JSON object per step to `metrics.jsonl`.
///
/// Each line goes to the file in a single `write(2)` as soon as it is logged (no user-space buffering), so a
/// killed run loses at most the line being written; the file is also fsynced every `syncInterval` seconds.
/// On resume, lines of steps after the checkpoint (and a torn last line) are removed first, so the file
/// never has two lines for a step.
public final class MetricsLogger {
    public let url: URL
    /// Lines removed when opening (steps after the resumed one, torn or unreadable lines).
    public private(set) var droppedLines = 0
    /// Seconds between fsyncs (0: after every line).
    public var syncInterval: Double = 10
    private var fd: Int32
    private var lastSync = Date()

    /// Opens `url`. `resumingAt: nil` starts a new log (an existing file is emptied); `resumingAt: step`
    /// keeps the lines with step ≤ `step` and appends after them.
    public init(url: URL, resumingAt step: Int? = nil) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let step, FileManager.default.fileExists(atPath: url.path) {
            droppedLines = try Self.truncate(url, after: step)
        }
        fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | (step == nil ? O_TRUNC : 0), 0o644)
        guard fd >= 0 else { throw CheckpointError.writeFailed("cannot open \(url.path): \(String(cString: strerror(errno)))") }
    }

    deinit { close() }

    /// Appends `record` as one line.
    public func log(_ record: MetricsRecord) throws {
        guard fd >= 0 else { throw CheckpointError.writeFailed("\(url.path) is closed") }
        try DurableFiles.writeAll(fd, Array((record.jsonLine + "\n").utf8), path: url.path)
        if syncInterval <= 0 || Date().timeIntervalSince(lastSync) >= syncInterval {
            fsync(fd)
            lastSync = Date()
        }
    }

    /// fsyncs and closes the file (logging afterwards throws).
    public func close() {
        if fd >= 0 {
            fsync(fd)
            closeDescriptor(fd)
            fd = -1
        }
    }

    /// Every readable record of a metrics file (a torn last line is skipped).
    public static func read(_ url: URL) throws -> [MetricsRecord] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { MetricsRecord(jsonLine: String($0)) }
    }

    /// Keeps complete, readable lines with step ≤ `step`; rewrites the file atomically when anything goes.
    /// Returns the number of lines dropped.
    static func truncate(_ url: URL, after step: Int) throws -> Int {
        let data = try Data(contentsOf: url)
        var kept: [UInt8] = []
        kept.reserveCapacity(data.count)
        var dropped = 0
        var start = data.startIndex
        while start < data.endIndex {
            guard let nl = data[start...].firstIndex(of: UInt8(ascii: "\n")) else { dropped += 1; break }  // torn line
            let line = data[start..<nl]
            start = nl + 1
            if line.isEmpty { continue }
            if let r = MetricsRecord(jsonLine: String(decoding: line, as: UTF8.self)), r.step <= step {
                kept.append(contentsOf: line)
                kept.append(UInt8(ascii: "\n"))
            } else {
                dropped += 1
            }
        }
        if dropped > 0 { try DurableFiles.writeAtomically(Data(kept), to: url) }
        return dropped
    }
}

func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}
