#include "normalize/timestamp.h"

#include <algorithm>

namespace findex {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseRfc3339(std::string_view t, Rfc3339Time* out) {
  auto digits = [&](size_t pos, size_t n, int* out) {
    if (pos + n > t.size()) return false;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = t[pos + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
  };
  Rfc3339Time r;
  if (t.size() < 20 || !digits(0, 4, &r.year) || t[4] != '-' || !digits(5, 2, &r.month) || t[7] != '-' ||
      !digits(8, 2, &r.day) || (t[10] != 'T' && t[10] != 't') || !digits(11, 2, &r.hour) || t[13] != ':' ||
      !digits(14, 2, &r.minute) || t[16] != ':' || !digits(17, 2, &r.second))
    return false;
  if (r.month < 1 || r.month > 12 || r.day < 1 || r.day > 31 || r.hour > 23 || r.minute > 59 || r.second > 60)
    return false;
  size_t i = 19;
  if (t[i] == '.') {
    size_t start = ++i;
    int64_t frac = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (i - start < 9) frac = frac * 10 + (t[i] - '0');
      ++i;
    }
    if (i == start) return false;
    for (size_t k = std::min<size_t>(i - start, 9); k < 9; ++k) frac *= 10;
    r.nanos = static_cast<int32_t>(frac);
  }
  if (i >= t.size()) return false;
  int64_t offset = 0;
  if (t[i] == 'Z' || t[i] == 'z') {
    ++i;
  } else if (t[i] == '+' || t[i] == '-') {
    size_t p = i + 1;
    if (!digits(p, 2, &r.offset_hours)) return false;
    p += 2;
    if (p < t.size() && t[p] == ':') ++p;
    if (!digits(p, 2, &r.offset_minutes)) return false;
    offset = (r.offset_hours * 60 + r.offset_minutes) * 60 * (t[i] == '-' ? -1 : 1);
    i = p + 2;
  } else {
    return false;
  }
  if (i != t.size()) return false;
  r.epoch_seconds = DaysFromCivil(r.year, static_cast<unsigned>(r.month), static_cast<unsigned>(r.day)) * 86400 +
                    r.hour * 3600 + r.minute * 60 + r.second - offset;
  *out = r;
  return true;
}

}  // namespace findex
