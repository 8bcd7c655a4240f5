#include "ingest/registry.h"

#include <vector>

namespace findex {

// Each format file defines one `const FormatDescriptor& XxxFormat()`.
const FormatDescriptor& PhpstanFormat();
const FormatDescriptor& SonarqubeFormat();
const FormatDescriptor& CodeguruFormat();
const FormatDescriptor& ZapJsonFormat();
const FormatDescriptor& ZapXmlFormat();
const FormatDescriptor& FalcoFormat();
const FormatDescriptor& TrivyFormat();
const FormatDescriptor& GrypeFormat();
const FormatDescriptor& DependencyCheckJsonFormat();
const FormatDescriptor& DependencyCheckXmlFormat();
const FormatDescriptor& BanditFormat();
const FormatDescriptor& GitleaksFormat();
const FormatDescriptor& CheckovFormat();
const FormatDescriptor& CfnNagFormat();
const FormatDescriptor& CfnGuardFormat();
const FormatDescriptor& SarifFormat();
const FormatDescriptor& SemgrepFormat();
const FormatDescriptor& Inspector2Format();
const FormatDescriptor& AsffFormat();
// -- format declarations (keep in the same order as the list below) --

std::span<const FormatDescriptor> Formats() {
  static const std::vector<FormatDescriptor> kFormats = {
      PhpstanFormat(),
      SonarqubeFormat(),
      CodeguruFormat(),
      ZapJsonFormat(),
      ZapXmlFormat(),
      FalcoFormat(),
      TrivyFormat(),
      GrypeFormat(),
      DependencyCheckJsonFormat(),
      DependencyCheckXmlFormat(),
      BanditFormat(),
      GitleaksFormat(),
      CheckovFormat(),
      CfnNagFormat(),
      CfnGuardFormat(),
      SarifFormat(),
      SemgrepFormat(),
      Inspector2Format(),
      AsffFormat(),
      // -- format list --
  };
  return kFormats;
}

const FormatDescriptor* FindFormat(std::string_view name) {
  for (const auto& f : Formats()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool IsEventFormat(const FormatDescriptor& f) { return f.scanner == "falco"; }

Result<const FormatDescriptor*> DetectFormat(std::string_view head) {
  const FormatDescriptor* best = nullptr;
  SniffConfidence best_conf = SniffConfidence::kNo;
  for (const auto& f : Formats()) {
    SniffConfidence c = f.sniff(head);
    if (c > best_conf) {
      best = &f;
      best_conf = c;
    }
  }
  if (!best) {
    std::string compact;
    for (char c : head.substr(0, 64)) {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\xEF' && c != '\xBB' && c != '\xBF') compact.push_back(c);
    }
    if (compact.empty() || compact == "null" || compact == "[]" || compact == "{}") {
      return MakeError(ErrorCode::kUnknownFormat,
                       "empty report (" + (compact.empty() ? std::string("no content") : compact) +
                           "): nothing in it names its scanner; pass --format NAME to record it as that "
                           "scanner's empty result (which resolves its open findings in the scope)");
    }
    return MakeError(ErrorCode::kUnknownFormat,
                     "not a report format findex knows (see `findex formats`; use --format to force one)");
  }
  return best;
}

}  // namespace findex
