/// What `Connection.stat` reports about a path (lstat semantics).
public struct FileStatus: Sendable, Equatable {
    public enum FileType: Sendable, Equatable {
        case missing, regular, directory, symlink, other
    }

    public var type: FileType
    /// Permission bits only (`0o7777` mask), without the file type.
    public var mode: UInt32
    public var size: UInt64
    /// Seconds since the Unix epoch.
    public var modified: Int64
    public var uid: UInt32
    public var gid: UInt32

    public init(type: FileType, mode: UInt32, size: UInt64, modified: Int64, uid: UInt32, gid: UInt32) {
        self.type = type
        self.mode = mode
        self.size = size
        self.modified = modified
        self.uid = uid
        self.gid = gid
    }

    /// The status of a path where nothing exists.
    public static let missing = FileStatus(type: .missing, mode: 0, size: 0, modified: 0, uid: 0, gid: 0)

    public var exists: Bool { type != .missing }

    /// Interprets a POSIX `st_mode` (type bits and permission bits).
    public init(posixMode: UInt32, size: UInt64, modified: Int64, uid: UInt32, gid: UInt32) {
        let type: FileType
        switch posixMode & 0o170000 {
        case 0o100000: type = .regular
        case 0o040000: type = .directory
        case 0o120000: type = .symlink
        default: type = .other
        }
        self.init(type: type, mode: posixMode & 0o7777, size: size, modified: modified, uid: uid, gid: gid)
    }
}
