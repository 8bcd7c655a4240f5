// Helpers shared by the IaC / lint readers (tfsec, kics, terrascan, hadolint, tflint).
#pragma once

#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ingest/json_util.h"
#include "normalize/finding.h"
#include "normalize/fingerprint.h"
#include "normalize/text.h"

namespace findex {

// Anchors for CodeFingerprint: `base` is the line-insensitive anchor of a record and `key` the
// (rule, file, base) it is counted under. A record repeated verbatim (same `record` text, i.e.
// the same finding twice in one report) takes the anchor of its first copy, so the store keeps
// one finding; a different record with the same key gets "#<n>" appended (the n-th of its kind
// in report order), which keeps it apart while staying line-insensitive.
class IacAnchors {
 public:
  std::string Assign(const std::string& record, const std::string& key, std::string base) {
    const uint64_t h = Hash64(record);
    if (auto it = seen_.find(h); it != seen_.end()) return it->second;
    int n = counts_[key]++;
    if (n > 0) base += "#" + std::to_string(n);
    seen_.emplace(h, base);
    return base;
  }

 private:
  std::map<std::string, int> counts_;
  std::unordered_map<uint64_t, std::string> seen_;
};

// The common part of an IaC finding: scanner == format name, product, severity.
inline Finding IacFinding(std::string_view scanner, std::string_view product, std::string_view company,
                          SeverityLabel label, std::string_view original) {
  Finding f;
  f.scanner = std::string(scanner);
  f.format = std::string(scanner);
  f.product_name = std::string(product);
  f.company_name = std::string(company);
  f.severity.label = label;
  f.severity.normalized = DefaultNormalized(label);
  f.severity.original = std::string(original);
  return f;
}

}  // namespace findex

namespace findex {

// ASFF Types for a configuration check: AWS rules under "AWS Security Best Practices", others
// under "Industry and Regulatory Standards"; the classifier names the tool's check family.
inline std::vector<std::string> IacTypes(bool aws, std::string_view classifier) {
  std::string t = aws ? "Software and Configuration Checks/AWS Security Best Practices"
                      : "Software and Configuration Checks/Industry and Regulatory Standards";
  if (!classifier.empty()) {
    std::string c(classifier);
    for (char& ch : c) {
      if (ch == '/') ch = '-';  // a Type has at most three '/'-separated parts
    }
    t += "/" + c;
  }
  return {t};
}

// Terraform resource type of an address ("module.a:module.b[\"x\"]:aws_s3_bucket.logs[0]",
// "module.vpc.aws_subnet.this", "data.aws_iam_policy_document.p") -> "aws_s3_bucket"; "" when
// none is recognisable.
inline std::string TerraformResourceType(std::string_view address) {
  size_t colon = address.rfind(':');
  if (colon != std::string_view::npos) address.remove_prefix(colon + 1);
  std::vector<std::string_view> parts;
  size_t pos = 0;
  int depth = 0;
  size_t start = 0;
  for (; pos < address.size(); ++pos) {
    char c = address[pos];
    if (c == '[') ++depth;
    else if (c == ']' && depth > 0) --depth;
    else if (c == '.' && depth == 0) {
      parts.push_back(address.substr(start, pos - start));
      start = pos + 1;
    }
  }
  parts.push_back(address.substr(start));
  size_t i = 0;
  while (i + 1 < parts.size() && (parts[i] == "module" || parts[i].substr(0, 7) == "module[")) i += 2;
  if (i < parts.size() && parts[i] == "data") ++i;
  if (i + 1 >= parts.size()) return "";
  std::string_view type = parts[i];
  if (type.find('_') == std::string_view::npos) return "";
  for (char c : type) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return "";
  }
  return std::string(type);
}

}  // namespace findex
