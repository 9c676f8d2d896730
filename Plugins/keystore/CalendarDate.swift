/// A UTC calendar day computed from Unix time, for "expires 2027-03-01" in
/// node details (the plugin does not link Foundation for date formatting).
struct CalendarDate: CustomStringConvertible {
    let year: Int64
    let month: Int64
    let day: Int64

    init(secondsSinceEpoch seconds: Int64) {
        // Days since 1970-01-01, rounded towards the past for times before 1970.
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        // Count from 0000-03-01 so leap days fall at the end of each 400-year era.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    var description: String {
        func padded(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }
}
