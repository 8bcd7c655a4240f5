#include "normalize/sla.h"

#include <algorithm>
#include <cctype>

#include "normalize/timestamp.h"

namespace findex {

std::string_view ToString(SlaState s) {
  switch (s) {
    case SlaState::kOk: return "ok";
    case SlaState::kDueSoon: return "due_soon";
    case SlaState::kBreached: return "breached";
    default: return "none";
  }
}

std::optional<SlaState> ParseSlaState(std::string_view s) {
  std::string t;
  for (char c : s) t.push_back(c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (t == "none") return SlaState::kNone;
  if (t == "ok") return SlaState::kOk;
  if (t == "due_soon") return SlaState::kDueSoon;
  if (t == "breached") return SlaState::kBreached;
  return std::nullopt;
}

namespace {
// End of a YYYY-MM-DD day (UTC) in Unix ms; nullopt when not a date.
std::optional<int64_t> EndOfDay(std::string_view d) {
  if (d.size() < 10 || d[4] != '-' || d[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(d[i]))) return std::nullopt;
  const int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
  const unsigned m = static_cast<unsigned>((d[5] - '0') * 10 + (d[6] - '0'));
  const unsigned day = static_cast<unsigned>((d[8] - '0') * 10 + (d[9] - '0'));
  if (m < 1 || m > 12 || day < 1 || day > 31) return std::nullopt;
  return (DaysFromCivil(y, m, day) + 1) * 86400000LL;
}
}  // namespace

SlaClock ComputeSla(const SlaPolicy& p, SeverityLabel label, std::string_view workflow, std::string_view record_state,
                    int64_t start_ms, std::string_view kev_due, int64_t now_ms) {
  SlaClock c;
  const int idx = std::clamp(static_cast<int>(label), 0, 4);
  const int days = p.days[static_cast<size_t>(idx)];
  if (days < 0 || workflow == "SUPPRESSED" || workflow == "RESOLVED" || record_state == "ARCHIVED") return c;
  int64_t due = start_ms + static_cast<int64_t>(days) * 86400000LL;
  if (p.kev_due_cap && !kev_due.empty()) {
    if (auto k = EndOfDay(kev_due)) due = std::min(due, *k);
  }
  c.due_ms = due;
  c.days_left = static_cast<double>(due - now_ms) / 86400000.0;
  if (now_ms >= due) c.state = SlaState::kBreached;
  else if (due - now_ms <= static_cast<int64_t>(p.due_soon_days) * 86400000LL) c.state = SlaState::kDueSoon;
  else c.state = SlaState::kOk;
  return c;
}

}  // namespace findex
