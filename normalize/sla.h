// SLA clocks (issue 11): how long an active finding may stay open, by severity, counted from
// the moment it last became active (first sight, or its reopening), optionally capped for a
// CISA KEV finding at CISA's due date. Pure functions: the policy's `sla:` key fills SlaPolicy
// (rules/policy.cpp), queries compile it to SQL (store/filter.cpp), the gate and the HTML report
// call ComputeSla on rows.
//
// Rules (README "SLA"):
// - days count from the start of the clock: the time of the run that made the finding active
//   (findings.active_since_run, else first_seen_run; a reopened finding's clock restarts);
// - due = start + days[severity] (effective severity: after policy and triage);
// - with kev_due_cap, a finding listed in KEV with a due date is due at the earlier of that and
//   the SLA due time (end of the due date, UTC);
// - suppressed (workflow SUPPRESSED), resolved (RESOLVED) and archived findings have no clock,
//   nor has a severity without a number of days;
// - breached: now >= due; due soon: not breached and due within `due_soon_days`; else ok.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "normalize/severity.h"

namespace findex {

struct SlaPolicy {
  // Days allowed per SeverityLabel (index: 0 INFORMATIONAL .. 4 CRITICAL); < 0: no SLA.
  std::array<int, 5> days{-1, -1, -1, -1, -1};
  bool kev_due_cap = false;   // `kev: due_date`
  int due_soon_days = 7;      // `due_soon: N`
  bool empty() const {
    for (int d : days)
      if (d >= 0) return false;
    return true;
  }
};

enum class SlaState { kNone, kOk, kDueSoon, kBreached };
std::string_view ToString(SlaState s);  // "none", "ok", "due_soon", "breached"
std::optional<SlaState> ParseSlaState(std::string_view s);  // case-insensitive; also "due-soon"

struct SlaClock {
  SlaState state = SlaState::kNone;
  int64_t due_ms = 0;      // valid when state != kNone
  double days_left = 0;    // (due - now) in days, negative when breached; valid when state != kNone
};

// `start_ms`: when the clock started (Unix ms); `kev_due`: YYYY-MM-DD or "" (not in KEV / no data).
SlaClock ComputeSla(const SlaPolicy& p, SeverityLabel label, std::string_view workflow, std::string_view record_state,
                    int64_t start_ms, std::string_view kev_due, int64_t now_ms);

}  // namespace findex
