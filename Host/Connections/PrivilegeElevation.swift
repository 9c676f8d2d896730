/// How a privileged command is run on a POSIX endpoint that is not logged in
/// as root: through `sudo`, with any sudo password on standard input.
public struct PrivilegeElevation: Sendable, Equatable {
    /// How sudo is asked to authenticate.
    public enum Mode: Sendable, Equatable {
        /// `sudo -n`: fail instead of prompting (NOPASSWD rules, or no sudo password configured).
        case passwordless
        /// `sudo -S -k -p ''`: the password is the first line of standard input.
        case password(String)
    }

    public var mode: Mode

    public init(mode: Mode) { self.mode = mode }

    /// The argv and standard input that run `argv` as root.
    ///
    /// The password never appears in argv (visible in `ps`). `-k` makes sudo
    /// always read it, even when a cached timestamp would let it skip the
    /// prompt, so the password line is never left over for the command to read.
    public func wrap(_ argv: [String], standardInput: [UInt8]) -> (argv: [String], standardInput: [UInt8]) {
        switch mode {
        case .passwordless:
            return (["sudo", "-n", "--"] + argv, standardInput)
        case .password(let password):
            return (["sudo", "-S", "-k", "-p", "", "--"] + argv, Array(password.utf8) + [0x0A] + standardInput)
        }
    }

    /// The argv that tells whether sudo needs a password at all: it exits 0
    /// when a passwordless rule applies.
    public static let probe = ["sudo", "-n", "true"]

    /// The argv that checks the sudo password alone (`-v` runs nothing), the password as its only input line.
    public static let passwordCheck = ["sudo", "-S", "-k", "-p", "", "-v"]

    /// sudo refused the configured password (or the account) before any command ran.
    public struct Refused: Error, Sendable {
        public let failure: AuthenticationFailure
    }

    /// Recognises sudo's own refusal in a failed command's error output, so the
    /// operator is told about the sudo configuration rather than the command.
    public static func refusal(in result: CommandResult) -> AuthenticationFailure? {
        guard result.exitStatus == 1 else { return nil }
        let text = result.standardErrorText
        if text.hasPrefix("sudo: a password is required") || text.hasPrefix("sudo: a terminal is required") {
            return .sudoPasswordRequired
        }
        if text.contains("sudo: ") && text.contains("incorrect password attempt") { return .wrongSudoPassword }
        return nil
    }
}
