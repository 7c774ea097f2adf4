import Foundation

/// The check every model constructor makes before allocating: the F32 weights a configuration describes must fit
/// in this machine's memory (a few digits in a config file must give an error that states the size, not an
/// allocator failure).
public enum ModelMemory {
    /// A problem sentence when `parameters` F32 weights exceed the physical memory, else nil.
    public static func problem(parameters: Double) -> String? {
        let bytes = parameters * 4
        let memory = Double(ProcessInfo.processInfo.physicalMemory)
        guard !(bytes < memory) else { return nil }
        return String(format: "this configuration describes a model of about %.3g parameters (%.3g GB of F32 weights), more than this machine's %.3g GB of memory",
                      parameters, bytes / 1e9, memory / 1e9)
    }
}
