#include "normalize/asff_batch.h"

#include <algorithm>

#include "normalize/asff_writer.h"

namespace findex {
namespace {

constexpr std::string_view kOpen = "[\n", kSep = ",\n", kClose = "\n]\n";

std::string Compact(const Finding& f) { return ToAsffJson(f, AsffWriteOptions{true, -1}); }

template <typename T>
bool KeepFirst(std::vector<T>* v, size_t n) {
  if (v->size() <= n) return false;
  v->resize(n);
  return true;
}

}  // namespace

Result<std::string> AsffForBatch(const Finding& f, size_t max_bytes, std::string* steps) {
  std::string json = Compact(f);
  if (json.size() < max_bytes) return json;
  Finding r = f;
  std::vector<std::pair<const char*, std::function<bool(Finding&)>>> ladder = {
      {"ProductFields other than findex/*",
       [](Finding& x) {
         return std::erase_if(x.product_fields, [](const auto& kv) { return kv.first.rfind("findex/", 0) != 0; }) > 0;
       }},
      {"UserDefinedFields and Note",
       [](Finding& x) {
         bool changed = !x.user_defined_fields.empty() || x.note.has_value();
         x.user_defined_fields.clear();
         x.note.reset();
         return changed;
       }},
      {"resources after the first and resource details",
       [](Finding& x) {
         // findex/ResourceCount keeps the full count.
         x.resource_count = std::max<uint64_t>(x.resource_count, x.resources.size());
         bool changed = KeepFirst(&x.resources, 1);
         for (auto& res : x.resources) {
           changed = changed || !res.details_other.empty();
           res.details_other.clear();
         }
         return changed;
       }},
      {"vulnerabilities after the first", [](Finding& x) { return KeepFirst(&x.vulnerabilities, 1); }},
      {"vulnerable packages, CVSS entries, reference URLs and related ids after the first",
       [](Finding& x) {
         bool changed = false;
         for (auto& v : x.vulnerabilities) {
           changed |= KeepFirst(&v.vulnerable_packages, 1);
           changed |= KeepFirst(&v.cvss, 1);
           changed |= KeepFirst(&v.reference_urls, 1);
           changed |= KeepFirst(&v.related_vulnerabilities, 1);
         }
         return changed;
       }},
  };
  std::string done;
  for (auto& [what, step] : ladder) {
    if (!step(r)) continue;
    done += (done.empty() ? "" : "; ") + std::string(what);
    json = Compact(r);
    if (json.size() < max_bytes) {
      if (steps) *steps = done;
      return json;
    }
  }
  if (steps) *steps = done;
  return MakeError(ErrorCode::kTooLarge, std::to_string(json.size()) + " bytes as ASFF even after dropping " +
                                             (done.empty() ? std::string("nothing (no optional content)") : done) +
                                             "; the limit is under " + std::to_string(max_bytes));
}

AsffBatcher::AsffBatcher(AsffBatchLimits limits, Sink sink, Warn warn)
    : limits_(limits), sink_(std::move(sink)), warn_(std::move(warn)) {}

Status AsffBatcher::Add(const Finding& f) {
  std::string steps;
  // A finding must fit a batch on its own, too.
  size_t cap = std::min(limits_.max_finding_bytes, limits_.max_batch_bytes - std::min(limits_.max_batch_bytes,
                                                                                     kOpen.size() + kClose.size() - 1));
  auto json = AsffForBatch(f, cap, &steps);
  if (!json.ok()) {
    ++stats_.skipped;
    if (warn_) warn_("skipped finding " + f.id + ": " + json.error().message);
    return Status::Ok();
  }
  if (!steps.empty()) {
    ++stats_.reduced;
    if (warn_) warn_("finding " + f.id + " was over the size limit; dropped " + steps);
  }
  if (in_buf_ > 0 && (in_buf_ >= limits_.max_findings ||
                      buf_.size() + kSep.size() + json->size() + kClose.size() > limits_.max_batch_bytes)) {
    FINDEX_RETURN_IF_ERROR(Flush());
  }
  buf_ += in_buf_ == 0 ? kOpen : kSep;
  buf_ += *json;
  ++in_buf_;
  return Status::Ok();
}

Status AsffBatcher::Flush() {
  if (in_buf_ == 0) return Status::Ok();
  buf_ += kClose;
  FINDEX_RETURN_IF_ERROR(sink_(stats_.batches + 1, buf_));
  ++stats_.batches;
  stats_.findings += in_buf_;
  buf_.clear();
  in_buf_ = 0;
  return Status::Ok();
}

Status AsffBatcher::Finish() { return Flush(); }

}  // namespace findex
