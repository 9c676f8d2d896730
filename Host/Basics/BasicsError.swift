/// Failures of the lowest layer: local files and processes.
/// Messages name the path or program and say what to do.
public enum BasicsError: Error, CustomStringConvertible, Equatable {
    case executableNotFound(String)
    case launchFailed(String, String)
    case io(path: String, operation: String, reason: String)
    case outputTooLarge(String, limit: Int)

    public var description: String {
        switch self {
        case .executableNotFound(let name):
            return "\(name): not found on PATH; install it or give its full path"
        case .launchFailed(let name, let reason):
            return "\(name): could not be started: \(reason)"
        case .outputTooLarge(let name, let limit):
            return "\(name): wrote more than \(limit) bytes to standard output or error and was stopped"
        case .io(let path, let operation, let reason):
            return "\(path): \(operation) failed: \(reason)"
        }
    }
}
