import Foundation

/// File operations on a POSIX endpoint run as root through sudo, for logins
/// that are not root but may use sudo (`--sudo nopasswd|password`).
///
/// SFTP runs as the login, so it cannot write a root-owned configuration or
/// read a root-only key; these operations are small POSIX shell programs run
/// through the connection's privileged command path instead, which puts any
/// sudo password on standard input, never in argv. Paths travel as arguments
/// (`sh -c SCRIPT sh PATH ...`), never inside the script, so no name is ever
/// interpreted by a shell. Each script's exit codes 20-29 are its answers;
/// anything else is the tool's own failure, reported with its words.
struct SudoFiles {
    /// Runs argv as root with the given standard input.
    let runPrivileged: (_ argv: [String], _ standardInput: [UInt8]) throws -> CommandResult
    let user: String

    private enum Exit {
        static let missing: Int32 = 20
        static let directory: Int32 = 21
        static let noParent: Int32 = 22
        static let notDirectory: Int32 = 23
        static let exists: Int32 = 24
    }

    private func script(_ body: String, _ arguments: [String], standardInput: [UInt8] = []) throws -> CommandResult {
        try runPrivileged(["sh", "-c", body, "og-host"] + arguments, standardInput)
    }

    func read(_ path: String) throws -> [UInt8] {
        let result = try script("""
            if [ -d "$1" ]; then exit 21; fi
            if [ ! -e "$1" ] && [ ! -L "$1" ]; then exit 20; fi
            exec cat -- "$1"
            """, [path])
        switch result.exitStatus {
        case 0: return result.standardOutput
        case Exit.missing: throw ConnectionError.notFound(path: path)
        case Exit.directory: throw ConnectionError.io(path: path, reason: "is a directory, not a file")
        default: throw failure(result, path: path, action: "read")
        }
    }

    /// lstat: `%f` is st_mode in hexadecimal, so type and permission bits arrive exactly.
    func status(_ path: String) throws -> FileStatus {
        let result = try script("""
            if [ ! -e "$1" ] && [ ! -L "$1" ]; then exit 20; fi
            exec stat -c '%f %s %Y %u %g' -- "$1"
            """, [path])
        switch result.exitStatus {
        case 0:
            let fields = result.standardOutputText.split(whereSeparator: \.isWhitespace)
            guard fields.count == 5, let mode = UInt32(fields[0], radix: 16), let size = UInt64(fields[1]),
                  let modified = Int64(fields[2]), let uid = UInt32(fields[3]), let gid = UInt32(fields[4]) else {
                throw ConnectionError.io(path: path, reason: "stat printed something unexpected: \(result.standardOutputText.prefix(200))")
            }
            return FileStatus(posixMode: mode, size: size, modified: modified, uid: uid, gid: gid)
        case Exit.missing: return .missing
        default: throw failure(result, path: path, action: "examine")
        }
    }

    /// Names are NUL-separated, so any byte a file name may hold survives.
    func list(_ path: String) throws -> [String] {
        let result = try script("""
            if [ ! -e "$1" ]; then exit 20; fi
            if [ ! -d "$1" ]; then exit 23; fi
            exec find "$1/" -mindepth 1 -maxdepth 1 -printf '%f\\0'
            """, [path])
        switch result.exitStatus {
        case 0:
            return result.standardOutput.split(separator: 0, omittingEmptySubsequences: true)
                .map { String(decoding: $0, as: UTF8.self) }.sorted()
        case Exit.missing: throw ConnectionError.notFound(path: path)
        case Exit.notDirectory: throw ConnectionError.io(path: path, reason: "is not a directory")
        default: throw failure(result, path: path, action: "list")
        }
    }

    func makeDirectory(_ path: String, mode: UInt32) throws {
        let result = try script("""
            if [ -d "$1" ]; then exit 0; fi
            if [ -e "$1" ] || [ -L "$1" ]; then exit 24; fi
            exec mkdir -p -m "$2" -- "$1"
            """, [path, String(mode, radix: 8)])
        switch result.exitStatus {
        case 0: return
        case Exit.exists: throw ConnectionError.io(path: path, reason: "exists and is not a directory")
        default: throw failure(result, path: path, action: "create directory")
        }
    }

    func remove(_ path: String) throws {
        let result = try script("""
            if [ ! -e "$1" ] && [ ! -L "$1" ]; then exit 20; fi
            if [ -d "$1" ] && [ ! -L "$1" ]; then exec rmdir -- "$1"; fi
            exec rm -f -- "$1"
            """, [path])
        switch result.exitStatus {
        case 0: return
        case Exit.missing: throw ConnectionError.notFound(path: path)
        default: throw failure(result, path: path, action: "remove")
        }
    }

    /// Writes standard input to a hidden temporary file beside `path` (0600
    /// while incomplete), flushes it, gives it the existing file's owner and
    /// mode (or `mode` for a new file, owned by root), and renames it over
    /// `path`: rename(2) in one directory is atomic. The temporary file is
    /// removed on any failure.
    func writeAtomically(_ path: String, contents: [UInt8], mode: UInt32?) throws {
        let temporary = SFTPFiles.temporaryPath(for: path)
        let result = try script("""
            if [ -d "$1" ]; then exit 21; fi
            parent=$(dirname -- "$1")
            if [ ! -d "$parent" ]; then exit 22; fi
            trap 'rm -f -- "$2"' EXIT
            umask 077
            cat > "$2" || exit 1
            if [ -e "$1" ]; then
              chown --reference="$1" -- "$2" || exit 1
              chmod --reference="$1" -- "$2" || exit 1
            else
              chmod "$3" -- "$2" || exit 1
            fi
            sync -- "$2" || exit 1
            mv -f -- "$2" "$1" || exit 1
            trap - EXIT
            """, [path, temporary, String(mode ?? 0o644, radix: 8)], standardInput: contents)
        switch result.exitStatus {
        case 0: return
        case Exit.directory: throw ConnectionError.io(path: path, reason: "is a directory; give the path of a file inside it")
        case Exit.noParent: throw ConnectionError.io(path: path, reason: "its directory does not exist; create it first")
        default: throw failure(result, path: path, action: "write")
        }
    }

    private func failure(_ result: CommandResult, path: String, action: String) -> ConnectionError {
        let words = result.standardErrorText.trimmingTrailingWhitespace
        if words.contains("Permission denied") || words.contains("Operation not permitted") {
            return .io(path: path, reason: "permission denied to \(action) it even through sudo as \(user): \(words.prefix(300))")
        }
        if words.contains("No space left") {
            return .io(path: path, reason: "no space left to \(action) it; free space on the endpoint")
        }
        return .io(path: path, reason: "could not \(action) it through sudo (exit \(result.exitStatus)): \(words.prefix(300))")
    }
}
