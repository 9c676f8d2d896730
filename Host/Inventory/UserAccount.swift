import Foundation

/// The password-database entry of a user, read with the reentrant
/// `getpwuid_r` because inventories are used from several threads.
struct UserAccount {
    var name: String
    var homeDirectory: String

    init?(uid: uid_t) {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        var status = getpwuid_r(uid, &entry, &buffer, buffer.count, &result)
        while status == ERANGE && buffer.count < 1 << 20 {
            buffer = [CChar](repeating: 0, count: buffer.count * 4)
            status = getpwuid_r(uid, &entry, &buffer, buffer.count, &result)
        }
        guard status == 0, result != nil, let name = entry.pw_name, let home = entry.pw_dir else { return nil }
        self.name = String(cString: name)
        self.homeDirectory = String(cString: home)
    }
}
