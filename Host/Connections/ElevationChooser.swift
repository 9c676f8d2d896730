import Foundation
import OGBasics

/// Decides once per connection how privileged commands authenticate to sudo.
///
/// With a sudo password configured, sudo is first asked whether it needs one
/// at all (`sudo -n true`). Where a NOPASSWD rule applies, sudo would not read
/// the password, and it would reach the command's standard input instead; so
/// the password is sent only when sudo will consume it.
final class ElevationChooser: @unchecked Sendable {
    // `chosen` is read and written only under `lock`.
    private let sudoPassword: String?
    private var chosen: PrivilegeElevation?
    private let lock = Locked()

    init(sudoPassword: String?) {
        self.sudoPassword = sudoPassword
    }

    /// The elevation to use; `probe` runs a command (argv, standard input) unprivileged.
    ///
    /// Where sudo wants the password, it is checked once on its own (`sudo -S -k -v`) before any
    /// command's input follows it: after a wrong password `sudo -S` reads the next lines of standard
    /// input as new attempts, and those lines would be the command's input (a key being written).
    func elevation(probe: (_ argv: [String], _ standardInput: [UInt8]) throws -> CommandResult) throws -> PrivilegeElevation {
        guard let sudoPassword else { return PrivilegeElevation(mode: .passwordless) }
        if let chosen = lock.withLock({ chosen }) { return chosen }
        let passwordless = try probe(PrivilegeElevation.probe, []).succeeded
        if !passwordless {
            let check = try probe(PrivilegeElevation.passwordCheck, Array(sudoPassword.utf8) + [0x0A])
            guard check.succeeded else {
                throw PrivilegeElevation.Refused(failure: PrivilegeElevation.refusal(in: check)
                    ?? .sudoRefused(String(check.standardErrorText.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))))
            }
        }
        let elevation = PrivilegeElevation(mode: passwordless ? .passwordless : .password(sudoPassword))
        lock.withLock { chosen = elevation }
        return elevation
    }
}
