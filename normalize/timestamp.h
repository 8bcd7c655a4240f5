// RFC 3339 date-time parsing shared by the ingesters that compare or validate report timestamps
// (Falco, Inspector2, ASFF).
#pragma once

#include <cstdint>
#include <string_view>

namespace findex {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

// The fields of an RFC 3339 date-time as written, plus the instant it denotes.
struct Rfc3339Time {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  // Fraction of a second: its first 9 digits, in nanoseconds.
  int32_t nanos = 0;
  // Zone offset magnitudes as written (0 for "Z"); not range-checked beyond two digits each.
  int offset_hours = 0, offset_minutes = 0;
  // Seconds since the epoch (UTC), the offset applied.
  int64_t epoch_seconds = 0;
};

// Parses "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm|+hhmm)" ('t'/'z' accepted, the colon in the
// offset optional). Checks month 1..12, day 1..31, hour <= 23, minute <= 59, second <= 60.
// False when `t` is anything else; `*out` is only written on success.
bool ParseRfc3339(std::string_view t, Rfc3339Time* out);

}  // namespace findex
