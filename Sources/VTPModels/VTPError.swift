import Foundation

/// Errors from loading, configuring and running VTP models, each with a message a user can act on.
public enum VTPError: Error, CustomStringConvertible, Equatable {
    case invalidConfig([String])
    case unreadableConfig(path: String, reason: String)
    case missingFile(String)
    case invalidImageSize(height: Int, width: Int, patch: Int)
    case invalidInput(String)
    case towerMissing(String)

    public var description: String {
        switch self {
        case .invalidConfig(let problems): return "invalid VTP config:\n  " + problems.joined(separator: "\n  ")
        case .unreadableConfig(let path, let reason): return "cannot read config \(path): \(reason)"
        case .missingFile(let path): return "file not found: \(path)"
        case .invalidImageSize(let h, let w, let p):
            return "image size \(h)×\(w) is not a multiple of the patch size \(p); resize or crop to a multiple of \(p)"
        case .invalidInput(let msg): return msg
        case .towerMissing(let msg): return msg
        }
    }
}
