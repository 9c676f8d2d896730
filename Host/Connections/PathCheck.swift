/// Paths cross into C APIs and remote servers as NUL-terminated strings, where
/// an embedded NUL would silently cut the path short and point the operation
/// at a different file.
enum PathCheck {
    static func validate(_ path: String, field: String = "path") throws {
        if path.isEmpty {
            throw ConnectionError.invalidArgument(field: field, problem: "is empty; give an absolute path")
        }
        if path.utf8.contains(0) {
            throw ConnectionError.invalidArgument(field: field, problem: "contains a NUL byte, which no file name can hold")
        }
    }

    static func validate(argv: [String]) throws {
        guard let program = argv.first, !program.isEmpty else {
            throw ConnectionError.invalidArgument(field: "argv", problem: "is empty; give the program to run first")
        }
        if let index = argv.firstIndex(where: { $0.utf8.contains(0) }) {
            throw ConnectionError.invalidArgument(field: "argv[\(index)]",
                                                  problem: "contains a NUL byte, which no command argument can hold")
        }
    }
}
