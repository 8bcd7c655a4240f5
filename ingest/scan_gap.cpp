#include "ingest/scan_gap.h"

#include "normalize/fingerprint.h"

namespace findex {

Finding ScanGapFinding(std::string_view scanner, std::string_view rule, std::string_view product,
                       std::string_view company, const std::string& file, std::string_view anchor) {
  Finding f;
  f.scanner = std::string(scanner);
  f.format = std::string(scanner);
  f.product_name = std::string(product);
  f.company_name = std::string(company);
  f.severity.label = SeverityLabel::kInformational;
  f.severity.normalized = DefaultNormalized(SeverityLabel::kInformational);
  f.fingerprint = CodeFingerprint(scanner, rule, file, anchor);
  f.generator_id = std::string(scanner) + "/" + std::string(rule);
  // Not a vulnerability or a best-practice failure: the namespace alone, as for other
  // non-security findings.
  f.types = {"Software and Configuration Checks"};
  f.location.file_path = file;
  Resource r;
  r.id = file;
  f.resources.push_back(std::move(r));
  return f;
}

}  // namespace findex
