#include "rules/vex.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "normalize/text.h"
#include "rules/policy.h"

namespace findex {

namespace {

bool IEq(std::string_view a, std::string_view b) { return a.size() == b.size() && ToLower(a) == ToLower(b); }

// The finding's package `p` as a PackageId: its purl when known, else manager, name, version.
PackageId PackageOf(const Finding& f, const Vulnerability& v, const VulnerablePackage& p) {
  std::string purl = p.purl;
  if (purl.empty() && f.vulnerabilities.size() == 1 && v.vulnerable_packages.size() == 1) {
    // Stored findings keep the purl as a product field (ASFF has no purl member).
    auto it = f.product_fields.find(f.scanner + "/Purl");
    if (it != f.product_fields.end()) purl = it->second;
  }
  if (!purl.empty()) {
    PackageId id = ParsePurl(purl);
    if (!id.empty()) {
      // The version a scanner reports is the installed one; a purl of a finding may omit it.
      if (id.version.empty()) id.version = p.version;
      return id;
    }
  }
  std::string eco = CanonicalEcosystem(p.package_manager);
  if (eco == "os") eco.clear();
  return PackageId{eco, p.name, p.version};
}

}  // namespace

bool VexPackageMatches(const PackageId& want, const PackageId& have) {
  if (want.empty() || have.empty()) return false;
  if (!have.ecosystem.empty() && CanonicalEcosystem(want.ecosystem) != CanonicalEcosystem(have.ecosystem)) return false;
  if (!IEq(want.name, have.name)) return false;
  return want.version.empty() || Trim(want.version) == Trim(have.version);
}

bool VexApplies(const VexRule& r, const Finding& f) {
  auto named = [&](std::string_view id) {
    if (IEq(id, r.st.vuln)) return true;
    return std::any_of(r.st.aliases.begin(), r.st.aliases.end(), [&](const std::string& a) { return IEq(id, a); });
  };
  for (const auto& v : f.vulnerabilities) {
    bool vuln = named(v.id);
    for (const auto& rel : v.related_vulnerabilities) vuln = vuln || named(rel);
    if (!vuln) continue;
    for (const auto& p : v.vulnerable_packages) {
      const PackageId have = PackageOf(f, v, p);
      for (const auto& want : r.products) {
        if (VexPackageMatches(want, have)) return true;
      }
    }
  }
  return false;
}

void VexSet::Add(const VexDocument& doc) {
  files_.push_back(doc.file);
  for (const auto& st : doc.statements) {
    VexRule r;
    r.st = st;
    r.file = doc.file;
    for (const auto& p : st.products) {
      PackageId id = ParsePurl(p);
      if (!id.empty()) r.products.push_back(std::move(id));
    }
    const auto index = static_cast<uint32_t>(rules_.size());
    std::vector<std::string> keys{ToUpper(Trim(st.vuln))};
    for (const auto& a : st.aliases) keys.push_back(ToUpper(Trim(a)));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const auto& k : keys) {
      if (!k.empty()) by_vuln_[k].push_back(index);
    }
    rules_.push_back(std::move(r));
  }
}

int64_t VexSet::Decide(const Finding& f) const {
  if (rules_.empty()) return -1;
  int64_t best = -1;
  auto consider = [&](const std::string& id) {
    auto it = by_vuln_.find(ToUpper(Trim(id)));
    if (it == by_vuln_.end()) return;
    for (uint32_t i : it->second) {
      if (best >= 0) {
        // Newer, or as new and read later.
        const auto& b = rules_[static_cast<size_t>(best)].st;
        const auto& c = rules_[i].st;
        if (c.timestamp_ms < b.timestamp_ms || (c.timestamp_ms == b.timestamp_ms && static_cast<int64_t>(i) <= best)) continue;
      }
      if (VexApplies(rules_[i], f)) best = i;
    }
  };
  for (const auto& v : f.vulnerabilities) {
    consider(v.id);
    for (const auto& r : v.related_vulnerabilities) consider(r);
  }
  return best;
}

std::vector<std::string> VexSet::VulnIds() const {
  std::vector<std::string> out;
  out.reserve(by_vuln_.size());
  for (const auto& [k, v] : by_vuln_) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

std::string VexSet::Identity() const {
  std::string s;
  for (const auto& r : rules_) {
    s += r.file + '\x1f' + r.st.vuln + '\x1f' + std::string(ToString(r.st.status)) + '\x1f' + r.st.justification + '\x1f' +
         r.st.impact + '\x1f' + r.st.action + '\x1f' + r.st.timestamp + '\x1f';
    for (const auto& a : r.st.aliases) s += a + '\x1d';
    s += '\x1f';
    for (const auto& p : r.st.products) s += p + '\x1d';
    s += '\x1e';
  }
  return s;
}

VexEffect EffectOf(const VexRule& r) {
  VexEffect e;
  e.applied = "vex:" + r.file;
  const std::string status(ToString(r.st.status));
  std::string why = status;
  if (!r.st.justification.empty()) why += " (" + r.st.justification + ")";
  if (!r.st.impact.empty()) why += ": " + r.st.impact;
  if (!r.st.action.empty()) why += (r.st.impact.empty() ? ": " : "; ") + std::string("action: ") + r.st.action;
  const std::string source = fmt::format("{} ({} {}{})", r.file, r.st.vuln, r.st.where,
                                         r.st.timestamp.empty() ? "" : ", " + r.st.timestamp);
  switch (r.st.status) {
    case VexStatus::kNotAffected:
    case VexStatus::kFalsePositive:
      e.workflow = WorkflowStatus::kSuppressed;
      e.note = "Suppressed by VEX " + source + ": " + why;
      break;
    case VexStatus::kFixed:
      e.workflow = WorkflowStatus::kResolved;
      e.note = "Resolved by VEX " + source + ": " + why;
      break;
    case VexStatus::kAffected:
    case VexStatus::kUnderInvestigation:
      e.note = "VEX " + source + ": " + why;
      break;
  }
  return e;
}

Status LoadVexIntoPolicy(const std::string& path, Policy* policy, std::vector<Diagnostic>* diags) {
  VexDocument doc;
  std::vector<VexProblem> problems;
  Status st = Status::Ok();
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    VexProblem p;
    p.code = "V000";
    p.message = "is a directory, not a VEX document";
    problems.push_back(std::move(p));
    st = MakeError(ErrorCode::kIo, "VEX " + path + " is a directory");
  } else {
    st = ReadVexFile(path, &doc, &problems);
  }
  for (const auto& p : problems) {
    Diagnostic d;
    d.level = p.warning ? Diagnostic::Level::kWarning : Diagnostic::Level::kError;
    d.pos.file = path;
    d.pos.line = p.line;
    d.pos.column = p.column;
    d.code = p.code;
    d.message = p.line > 0 || p.path.empty() ? p.message : p.path + ": " + p.message;
    diags->push_back(std::move(d));
  }
  if (!st.ok()) return st;
  // A document named twice (by the policy and by --vex) is read once.
  if (policy->vex) {
    for (const auto& f : policy->vex->files()) {
      std::error_code e1, e2;
      if (std::filesystem::weakly_canonical(f, e1) == std::filesystem::weakly_canonical(path, e2)) return Status::Ok();
    }
  }
  if (!policy->vex) policy->vex = std::make_shared<VexSet>();
  policy->vex->Add(doc);
  return Status::Ok();
}

}  // namespace findex
