/// Errors of the generation library, each with a message a user can act on.
public enum GenerationError: Error, CustomStringConvertible, Equatable {
    case invalidInput(String)
    case unsupported(String)
    case invalidSettings(String)
    case solverFailure(String)

    public var description: String {
        switch self {
        case .invalidInput(let m), .unsupported(let m), .invalidSettings(let m), .solverFailure(let m): return m
        }
    }
}
