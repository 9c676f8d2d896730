import COpenSSL
import Foundation

/// Conversions between OpenSSL ASN1_TIME and Foundation `Date`.
enum ASN1Time {
    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        guard let time else { return .distantPast }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return .distantPast }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    /// Seconds since the epoch, as OpenSSL's time setters want them.
    static func seconds(_ date: Date) -> time_t { time_t(date.timeIntervalSince1970.rounded(.down)) }
}
