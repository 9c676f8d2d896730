import Foundation

/// Turns an argv vector into one command line for a remote shell, so that
/// every argument reaches the program exactly as given and nothing in it is
/// ever interpreted (no expansion, substitution, globbing or splitting).
public enum ShellQuoting: Sendable {
    /// POSIX `sh`: every argument in single quotes, an embedded `'` written as `'\''`.
    /// Assumes the account's login shell is POSIX-compatible (sh, bash, dash, zsh, ksh).
    case posix
    /// PowerShell: the program called with `&`, every argument a single-quoted
    /// verbatim string (embedded single quotes, including the typographic
    /// ones PowerShell also accepts, are doubled). An argument of the form
    /// `-Name` or `-Name:` stays bare so cmdlets see it as a parameter name.
    case powerShell

    /// One argument, quoted.
    public func quote(_ argument: String) -> String {
        switch self {
        case .posix:
            return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        case .powerShell:
            var quoted = "'"
            for character in argument.unicodeScalars {
                quoted.unicodeScalars.append(character)
                if Self.powerShellSingleQuotes.contains(character) { quoted.unicodeScalars.append(character) }
            }
            return quoted + "'"
        }
    }

    /// The whole command line for `argv`.
    public func commandLine(_ argv: [String]) -> String {
        switch self {
        case .posix:
            return argv.map(quote).joined(separator: " ")
        case .powerShell:
            guard let program = argv.first else { return "" }
            let arguments = argv.dropFirst().map { Self.isPowerShellParameterName($0) ? $0 : quote($0) }
            return (["&", quote(program)] + arguments).joined(separator: " ")
        }
    }

    /// The characters PowerShell treats as a single quote inside a verbatim string.
    private static let powerShellSingleQuotes: Set<Unicode.Scalar> = ["'", "\u{2018}", "\u{2019}", "\u{201A}", "\u{201B}"]

    private static func isPowerShellParameterName(_ argument: String) -> Bool {
        var scalars = Substring(argument).unicodeScalars[...]
        guard scalars.popFirst() == "-", let first = scalars.first, first.properties.isAlphabetic, first.isASCII else {
            return false
        }
        if scalars.last == ":" { scalars.removeLast() }
        return scalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}

/// How og-host runs a command on Windows over SSH: `powershell.exe` with the
/// script passed as `-EncodedCommand` (base64 of UTF-16LE), so that neither
/// cmd.exe nor PowerShell's own command-line parsing can alter it.
public enum PowerShellCommand {
    /// The PowerShell script that runs `argv` and exits with its status.
    /// Terminating errors make powershell.exe exit 1; a native program's exit
    /// status is passed on.
    public static func script(_ argv: [String], hasStandardInput: Bool) -> String {
        let call = ShellQuoting.powerShell.commandLine(argv)
        // `$input` is the process's standard input; piping it on lets the
        // program read what the caller sent.
        let invocation = hasStandardInput ? "$input | \(call)" : call
        return "$ErrorActionPreference = 'Stop'; \(invocation); if ($LASTEXITCODE) { exit $LASTEXITCODE }"
    }

    /// Base64 of `script` in UTF-16LE, what `-EncodedCommand` expects.
    public static func encode(_ script: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(script.utf16.count * 2)
        for unit in script.utf16 {
            bytes.append(UInt8(unit & 0xFF))
            bytes.append(UInt8(unit >> 8))
        }
        return Data(bytes).base64EncodedString()
    }

    /// The command line an OpenSSH server on Windows runs (through cmd.exe,
    /// which sees only base64 characters).
    public static func commandLine(_ argv: [String], hasStandardInput: Bool) -> String {
        "powershell.exe -NoProfile -NonInteractive -EncodedCommand " + encode(script(argv, hasStandardInput: hasStandardInput))
    }
}
