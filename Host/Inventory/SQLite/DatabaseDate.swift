import Foundation
import GRDB

/// Dates in the inventory's TEXT columns, read and written exactly as GRDB
/// does ("yyyy-MM-dd HH:mm:ss.SSS", UTC) but without Foundation's calendar and
/// date formatter.
///
/// GRDB reads a date through a UTC `Calendar` and writes it through an ICU
/// `DateFormatter`; each is built on first use, about 2 M instructions apiece
/// in every process (callgrind of `bench/keystore-writes.sh`: an install's
/// parent reads the trust anchors' dates, its job child the endpoint's,
/// the lease's and the journal's, and writes several). Here the same text
/// gives the same `Date` to the bit, and the same `Date` the same text:
/// reading follows swift-foundation's Gregorian `date(from:)` arithmetic (the
/// Julian day, then the seconds of the day in the order it adds them), and
/// writing rounds to the millisecond half away from zero, as the formatter
/// does. `DatabaseDateTests` compares both with GRDB's own conversions over
/// many dates. Anything outside the years 1970–9999, or text in another
/// shape (GRDB also reads `YYYY-MM-DD`, `T` separators, time zones, numbers),
/// goes through GRDB's conversions as before.
enum DatabaseDate {
    /// `date` as GRDB stores it.
    static func text(_ date: Date) -> String {
        let udate = ((date.timeIntervalSinceReferenceDate + 978_307_200.0) * 1000.0).rounded(.toNearestOrAwayFromZero)
        guard udate >= 0, udate < 253_402_300_800_000 else { return String.fromDatabaseValue(date.databaseValue) ?? "" }
        let days = (udate / 86_400_000.0).rounded(.down)
        let millisInDay = Int(Int32(udate - days * 86_400_000.0))
        let (year, month, day) = civilDate(daysSince1970: Int(days))
        var bytes = [UInt8](repeating: 0, count: 23)
        put(year, 4, at: 0, in: &bytes)
        bytes[4] = UInt8(ascii: "-")
        put(month, 2, at: 5, in: &bytes)
        bytes[7] = UInt8(ascii: "-")
        put(day, 2, at: 8, in: &bytes)
        bytes[10] = UInt8(ascii: " ")
        put(millisInDay / 3_600_000, 2, at: 11, in: &bytes)
        bytes[13] = UInt8(ascii: ":")
        put(millisInDay / 60_000 % 60, 2, at: 14, in: &bytes)
        bytes[16] = UInt8(ascii: ":")
        put(millisInDay / 1000 % 60, 2, at: 17, in: &bytes)
        bytes[19] = UInt8(ascii: ".")
        put(millisInDay % 1000, 3, at: 20, in: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `date` as a statement argument.
    static func value(_ date: Date) -> DatabaseValue { text(date).databaseValue }

    /// The optional `date` as a statement argument (NULL for nil).
    static func value(_ date: Date?) -> DatabaseValue { date.map(value) ?? .null }

    /// The date `text` holds, when it is exactly `yyyy-MM-dd HH:mm:ss.SSS`
    /// with a year from 1970 to 9999; nil for anything else.
    static func date(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count == 23, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
                  bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
                  bytes[19] == UInt8(ascii: "."),
                  let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
                  let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2), let second = number(bytes, 17, 2),
                  let millisecond = number(bytes, 20, 3),
                  (1970...9999).contains(year), (1...12).contains(month), (1...31).contains(day),
                  hour < 24, minute < 60, second < 60 else { return nil }
            // swift-foundation's _CalendarGregorian.date(from:inTimeZone:) for UTC, operation by operation.
            var secondsInDay = 0.0
            secondsInDay += Double(hour) * 3600.0
            secondsInDay += Double(minute) * 60.0
            secondsInDay += Double(second)
            secondsInDay += Double(millisecond * 1_000_000) / Double(1_000_000_000)
            let julianDateSeconds = (Double(julianDay(year: year, month: month, day: day)) - 2_451_910.5) * 86400
            return Date(timeIntervalSinceReferenceDate: julianDateSeconds - 43200 + secondsInDay - 0.0 - 0.0)
        }
    }

    /// The date in column `index` of `row`, as GRDB's `Date` decoding reads it
    /// (a NULL, or a value that is no date, throws as GRDB does).
    static func decode(_ row: Row, atIndex index: Int) throws -> Date {
        let value: DatabaseValue = row[index]
        if case .string(let text) = value.storage, let date = date(text) { return date }
        return try row.decode(Date.self, atIndex: index)
    }

    /// The optional date in column `index` of `row` (nil for NULL).
    static func decodeIfPresent(_ row: Row, atIndex index: Int) throws -> Date? {
        let value: DatabaseValue = row[index]
        if case .string(let text) = value.storage, let date = date(text) { return date }
        return try row.decode(Date?.self, atIndex: index)
    }

    /// The Julian day number of a Gregorian date (swift-foundation's `julianDay(ofDay:month:year:)`).
    private static func julianDay(year: Int, month: Int, day: Int) -> Int {
        let h = month - 2
        let g = year + 4716 - (12 - h) / 12
        let f = (h - 1 + 12) % 12
        let e = (1461 * g) / 4 + day - 1 - 1401
        let j = e + (153 * f + 2) / 5
        return j - (3 * ((g + 184) / 100)) / 4 + 38
    }

    /// Year, month and day of a day counted from 1970-01-01 (proleptic Gregorian).
    private static func civilDate(daysSince1970: Int) -> (Int, Int, Int) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func put(_ value: Int, _ width: Int, at offset: Int, in bytes: inout [UInt8]) {
        var value = value
        for position in stride(from: offset + width - 1, through: offset, by: -1) {
            bytes[position] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
    }

    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int, _ width: Int) -> Int? {
        var value = 0
        for byte in bytes[offset..<offset + width] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
