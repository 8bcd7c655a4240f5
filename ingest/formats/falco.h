// Falco JSON output (json_output: true): one event per line. Events of the same rule on the
// same workload collapse into one finding with an occurrence count. The collapser works line
// by line so that the CLI can feed standard input as it arrives and flush periodically; the
// file ingester (falco.cpp) feeds it the lines of one padded buffer.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ingest/ingester.h"

namespace findex {

class FalcoCollapser {
 public:
  // Reads one event. `line` excludes its line break (a trailing '\r' is ignored); `offset` is
  // its byte offset in the input and `line_no` its 1-based line, both used for rejects.
  // A blank line is skipped; a line that is not a Falco event (malformed or truncated JSON,
  // missing rule/priority, unknown priority) becomes one reject in `sink_for_rejects`.
  // `readable` is how many bytes may be read from line.data(): when it is at least
  // line.size() + SIMDJSON_PADDING the line is parsed in place, otherwise it is copied.
  // Returns an error only when `sink_for_rejects` cannot take the reject (never today).
  Status AddLine(std::string_view line, uint64_t offset, uint32_t line_no, FindingSink& sink_for_rejects,
                 size_t readable = 0);

  // Hands every collapsed finding to `sink` in first-seen order with Finding::occurrences,
  // FirstObservedAt and LastObservedAt set, then forgets them: a later event of the same
  // identity starts a new count (the store merges findings by fingerprint).
  Status Flush(FindingSink& sink);

  size_t pending() const { return entries_.size(); }  // findings waiting for Flush
  uint64_t events() const { return events_; }          // events accepted so far
  uint64_t rejected() const { return rejected_; }      // lines rejected so far

 private:
  struct Entry {
    Finding finding;
    uint64_t count = 0;
    // Observation window: sortable (seconds, nanoseconds) and the timestamp text as given.
    int64_t first_s = 0, last_s = 0;
    int32_t first_ns = 0, last_ns = 0;
    std::string first_text, last_text;
  };
  void Reject(FindingSink& sink, uint64_t offset, uint32_t line_no, std::string reason);

  simdjson::dom::parser parser_;
  std::string scratch_;  // padded copy of a line that cannot be parsed in place
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> index_;  // fingerprint bytes -> entries_ index
  uint64_t events_ = 0;
  uint64_t rejected_ = 0;
};

}  // namespace findex
