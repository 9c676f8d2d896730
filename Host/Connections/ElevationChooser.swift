import Foundation

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
    private let lock = NSLock()

    init(sudoPassword: String?) {
        self.sudoPassword = sudoPassword
    }

    /// The elevation to use; `probe` runs `PrivilegeElevation.probe` unprivileged.
    func elevation(probe: () throws -> CommandResult) throws -> PrivilegeElevation {
        guard let sudoPassword else { return PrivilegeElevation(mode: .passwordless) }
        if let chosen = lock.withLock({ chosen }) { return chosen }
        let passwordless = try probe().succeeded
        let elevation = PrivilegeElevation(mode: passwordless ? .passwordless : .password(sudoPassword))
        lock.withLock { chosen = elevation }
        return elevation
    }
}
