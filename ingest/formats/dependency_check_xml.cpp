// OWASP Dependency-Check XML report (`--format XML`; templates xmlReport.vsl, schemas 1.3 to
// 4.x). The namespace differs by schema (…/dependency-check.1.3.xsd, .2.5.xsd, .4.1.xsd):
// elements are matched by local name and the namespace is ignored.
//   <analysis><scanInfo><engineVersion/>…</scanInfo>
//     <projectInfo><name/><groupID/>?<artifactID/>?<version/>?<reportDate/></projectInfo>
//     <dependencies><dependency isVirtual=""><fileName/><filePath/><md5/><sha1/><sha256/>
//       <description/><license/><projectReferences/><relatedDependencies><relatedDependency>
//         <fileName/><filePath/>…<identifiers><package><id/></package></identifiers>
//       </relatedDependency></relatedDependencies><evidenceCollected/>
//       <identifiers><package confidence=""><id/></package><vulnerabilityIds confidence=""><id/>
//         </vulnerabilityIds></identifiers>   (schema 1.3: <identifier type="maven|cpe"><name/>)
//       <vulnerabilities><vulnerability source=""><name/><severity unscored=""/>
//         <cvssV2/><cvssV3/><cvssV4/>  (schema 1.3: flat <cvssScore/><cvssAccessVector/>…)
//         <cwes><cwe/></cwes> (1.3: <cwe/>) <description/><notes/><references><reference><url/>
//         </reference></references><vulnerableSoftware><software vulnerabilityIdMatched=""
//         versionEndExcluding="">cpe</software></vulnerableSoftware></vulnerability>
//         <suppressedVulnerability>… (software matched="")</suppressedVulnerability>
//       </vulnerabilities></dependency></dependencies></analysis>
//
// The mapping (findings, severity, identity) is shared with the JSON report and documented in
// dependency_check_common.cpp. The tree is walked once, child by child (no lookups by name);
// evidenceCollected, the bulk of a report, is never entered. A vulnerability without a name or
// with a score that is not a number is a reject. A root element other than <analysis> (e.g. a
// JaCoCo <report> saved as dependency-check-report.xml) is an error.
#include <algorithm>
#include <cctype>

#include "ingest/formats/dependency_check_common.h"
#include "ingest/xml_util.h"
#include "normalize/text.h"

namespace findex {
namespace {

using dc::TrimView;

constexpr std::string_view kExt[] = {".xml"};
constexpr std::string_view kFormat = "dependency-check-xml";

std::string_view Local(std::string_view name) {
  size_t c = name.find(':');
  return c == std::string_view::npos ? name : name.substr(c + 1);
}
std::string_view Local(pugi::xml_node n) { return Local(std::string_view(n.name())); }
std::string_view Text(pugi::xml_node n) { return TrimView(n.text().get()); }
bool AttrTrue(pugi::xml_node n, const char* name) {
  return EqualsIgnoreCase(TrimView(n.attribute(name).value()), "true");
}

// Element children in document order.
template <typename Fn>
void ForEachChild(pugi::xml_node n, Fn&& fn) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) fn(Local(c), c);
  }
}

SniffConfidence Sniff(std::string_view head) {
  if (Local(XmlRootName(head)) != "analysis") return SniffConfidence::kNo;
  if (head.find("DependencyCheck/dependency-check") != std::string_view::npos ||
      head.find("dependency-check.") != std::string_view::npos)
    return SniffConfidence::kCertain;
  if (head.find("<dependencies") != std::string_view::npos || head.find("<scanInfo") != std::string_view::npos ||
      head.find("<engineVersion") != std::string_view::npos)
    return SniffConfidence::kLikely;
  return SniffConfidence::kMaybe;
}

void ReadCvss(pugi::xml_node n, dc::CvssBlock* b) {
  b->present = true;
  ForEachChild(n, [&](std::string_view name, pugi::xml_node c) {
    if (std::string_view* dst = dc::CvssSlot(*b, name)) *dst = Text(c);
  });
}

// Schema 1.3 wrote CVSS v2 flat on the vulnerability: <cvssScore>, <cvssAccessVector>, ...
void ReadFlatCvss(std::string_view name, pugi::xml_node c, dc::Vuln* v) {
  if (!StartsWith(name, "cvss") || name.size() <= 4 || name == "cvssV2" || name == "cvssV3" || name == "cvssV4") return;
  std::string key(name.substr(4));
  key[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(key[0])));
  if (std::string_view* dst = dc::CvssSlot(v->v2, key)) {
    v->v2.present = true;
    *dst = Text(c);
  }
}

void ReadVuln(pugi::xml_node n, bool suppressed, dc::Vuln* v) {
  v->suppressed = suppressed;
  v->source = TrimView(n.attribute("source").value());
  ForEachChild(n, [&](std::string_view name, pugi::xml_node c) {
    if (name == "name") v->name = Text(c);
    else if (name == "severity") {
      v->severity = Text(c);
      v->unscored = AttrTrue(c, "unscored");
    } else if (name == "description") v->description = Text(c);
    else if (name == "notes") v->notes = Text(c);
    else if (name == "cvssV2") ReadCvss(c, &v->v2);
    else if (name == "cvssV3") ReadCvss(c, &v->v3);
    else if (name == "cvssV4") ReadCvss(c, &v->v4);
    else if (name == "cwe") v->cwes.push_back(Text(c));
    else if (name == "cwes") {
      ForEachChild(c, [&](std::string_view cn, pugi::xml_node cwe) {
        if (cn == "cwe") v->cwes.push_back(Text(cwe));
      });
    } else if (name == "references") {
      ForEachChild(c, [&](std::string_view rn, pugi::xml_node ref) {
        if (rn != "reference") return;
        ForEachChild(ref, [&](std::string_view fn, pugi::xml_node f) {
          if (fn == "url" && !Text(f).empty()) v->reference_urls.push_back(Text(f));
        });
      });
    } else if (name == "vulnerableSoftware") {
      ForEachChild(c, [&](std::string_view sn, pugi::xml_node sw) {
        if (sn != "software") return;
        bool matched = AttrTrue(sw, "vulnerabilityIdMatched") || AttrTrue(sw, "matched");
        v->AddSoftware(Text(sw), matched, sw.attribute("versionEndExcluding").value());
      });
    } else if (name == "knownExploitedVulnerability") {
      v->kev = true;
      ForEachChild(c, [&](std::string_view kn, pugi::xml_node k) {
        if (kn == "dateAdded") v->kev_date_added = Text(k);
        else if (kn == "dueDate") v->kev_due_date = Text(k);
        else if (kn == "requiredAction") v->kev_required_action = Text(k);
      });
    } else {
      ReadFlatCvss(name, c, v);
    }
  });
}

// <package><id/></package> children of an <identifiers> element.
void ReadPackages(pugi::xml_node identifiers, std::vector<dc::Ident>* out) {
  ForEachChild(identifiers, [&](std::string_view name, pugi::xml_node p) {
    if (name != "package") return;
    dc::Ident id;
    id.confidence = TrimView(p.attribute("confidence").value());
    ForEachChild(p, [&](std::string_view pn, pugi::xml_node c) {
      if (pn == "id") id.id = Text(c);
    });
    if (!id.id.empty()) out->push_back(id);
  });
}

// <identifiers>: <package>, <vulnerabilityIds>, schema 1.3 <identifier type="">; one level of
// nested <identifiers> (seen in hand-edited reports) is read the same way.
void ReadIdentifiers(pugi::xml_node n, dc::Dependency* d, bool nested) {
  ReadPackages(n, &d->main.packages);
  ForEachChild(n, [&](std::string_view name, pugi::xml_node c) {
    if (name == "vulnerabilityIds") {
      dc::Ident id;
      id.confidence = TrimView(c.attribute("confidence").value());
      ForEachChild(c, [&](std::string_view cn, pugi::xml_node f) {
        if (cn == "id") id.id = Text(f);
      });
      if (!id.id.empty()) d->cpes.push_back(id);
    } else if (name == "identifier") {
      std::string_view type = TrimView(c.attribute("type").value());
      std::string_view value;
      ForEachChild(c, [&](std::string_view cn, pugi::xml_node f) {
        if (cn == "name") value = Text(f);
      });
      if (value.empty()) return;
      if (EqualsIgnoreCase(type, "maven") && d->main.maven_gav.empty()) d->main.maven_gav = value;
      else if (EqualsIgnoreCase(type, "cpe")) d->cpes.push_back({value, TrimView(c.attribute("confidence").value())});
    } else if (name == "identifiers" && !nested) {
      ReadIdentifiers(c, d, true);
    }
  });
}

void ReadEntryField(std::string_view name, pugi::xml_node c, dc::Entry* e) {
  if (name == "fileName") e->file_name = Text(c);
  else if (name == "filePath") e->file_path = Text(c);
  else if (name == "md5") e->md5 = Text(c);
  else if (name == "sha1") e->sha1 = Text(c);
  else if (name == "sha256") e->sha256 = Text(c);
}

void ReadDependency(pugi::xml_node n, dc::Dependency* d, std::vector<pugi::xml_node>* vuln_nodes,
                    std::vector<pugi::xml_node>* suppressed_nodes) {
  d->main.is_virtual = AttrTrue(n, "isVirtual");
  auto add_vuln = [&](pugi::xml_node v, bool suppressed) {
    auto& list = suppressed ? d->suppressed : d->vulns;
    ReadVuln(v, suppressed, &list.emplace_back());
    (suppressed ? suppressed_nodes : vuln_nodes)->push_back(v);
  };
  ForEachChild(n, [&](std::string_view name, pugi::xml_node c) {
    if (name == "evidenceCollected") return;
    if (name == "description") d->description = Text(c);
    else if (name == "license") d->license = Text(c);
    else if (name == "projectReferences") {
      ForEachChild(c, [&](std::string_view rn, pugi::xml_node r) {
        if (rn == "projectReference") d->project_refs.push_back(Text(r));
      });
    } else if (name == "relatedDependencies") {
      ForEachChild(c, [&](std::string_view rn, pugi::xml_node r) {
        if (rn != "relatedDependency") return;
        dc::Entry& e = d->related.emplace_back();
        e.is_virtual = AttrTrue(r, "isVirtual");
        ForEachChild(r, [&](std::string_view fn, pugi::xml_node f) {
          if (fn == "identifiers") ReadPackages(f, &e.packages);
          else ReadEntryField(fn, f, &e);
        });
      });
    } else if (name == "identifiers") {
      ReadIdentifiers(c, d, false);
    } else if (name == "vulnerabilities") {
      ForEachChild(c, [&](std::string_view vn, pugi::xml_node v) {
        if (vn == "vulnerability") add_vuln(v, false);
        else if (vn == "suppressedVulnerability") add_vuln(v, true);
      });
    } else if (name == "suppressedVulnerabilities") {
      ForEachChild(c, [&](std::string_view vn, pugi::xml_node v) {
        if (vn == "suppressedVulnerability" || vn == "vulnerability") add_vuln(v, true);
      });
    } else {
      ReadEntryField(name, c, &d->main);
    }
  });
}

// Rejects the vulnerabilities that fail CheckVuln and removes them from `list`.
void FilterVulns(const Source& src, const std::vector<pugi::xml_node>& nodes, std::vector<dc::Vuln>* list,
                 FindingSink& sink) {
  size_t keep = 0;
  for (size_t j = 0; j < list->size(); ++j) {
    dc::Vuln& v = (*list)[j];
    std::string reason = dc::CheckVuln(v);
    if (!reason.empty()) {
      sink.AddReject(XmlReject(src, nodes[j], std::move(reason)));
      continue;
    }
    if (keep != j) (*list)[keep] = std::move(v);
    ++keep;
  }
  list->resize(keep);
}

void ReadInfo(pugi::xml_node n, bool project, dc::ReportInfo* info) {
  ForEachChild(n, [&](std::string_view name, pugi::xml_node c) {
    std::string* dst = nullptr;
    if (!project && name == "engineVersion") dst = &info->engine_version;
    else if (project && name == "name") dst = &info->project_name;
    else if (project && name == "groupID") dst = &info->group_id;
    else if (project && name == "artifactID") dst = &info->artifact_id;
    else if (project && name == "version") dst = &info->project_version;
    if (dst) dst->assign(Text(c));
  });
}

Status NotDependencyCheck(const Source& src, std::string_view root) {
  return MakeError(ErrorCode::kSchema,
                   "not a Dependency-Check report: root element <" + std::string(root) + "> (expected <analysis>)",
                   src.path());
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  // Fail fast on another XML format, before parsing a large file.
  std::string_view head_root = XmlRootName(src.head());
  if (!head_root.empty() && Local(head_root) != "analysis") return NotDependencyCheck(src, head_root);
  // Checked before LoadXml, which parses the buffer in place.
  std::string_view tail = src.text().substr(src.text().size() - std::min<size_t>(src.text().size(), 256));
  bool ends_with_root = TrimView(tail).ends_with("analysis>");
  pugi::xml_document doc;
  if (Status st = LoadXml(src, &doc); !st.ok()) {
    Error e = st.error();
    if (!ends_with_root && !head_root.empty()) e.message += " (the report is truncated: it does not end with </analysis>)";
    return e;
  }
  pugi::xml_node root = doc.document_element();
  if (Local(root) != "analysis") return NotDependencyCheck(src, root.name());

  dc::ReportInfo info;
  info.format = std::string(kFormat);
  ForEachChild(root, [&](std::string_view name, pugi::xml_node c) {
    if (name == "scanInfo") ReadInfo(c, false, &info);
    else if (name == "projectInfo") ReadInfo(c, true, &info);
    if (name == "projectInfo" && !info.project_name.empty()) sink.AddTarget(info.project_name);  // target: the project
  });

  dc::Dependency dep;
  std::vector<pugi::xml_node> vuln_nodes, suppressed_nodes;
  for (pugi::xml_node deps = root.first_child(); deps; deps = deps.next_sibling()) {
    if (deps.type() != pugi::node_element || Local(deps) != "dependencies") continue;
    for (pugi::xml_node n = deps.first_child(); n; n = n.next_sibling()) {
      if (n.type() != pugi::node_element || Local(n) != "dependency") continue;
      dep.Clear();
      vuln_nodes.clear();
      suppressed_nodes.clear();
      ReadDependency(n, &dep, &vuln_nodes, &suppressed_nodes);
      FilterVulns(src, vuln_nodes, &dep.vulns, sink);
      FilterVulns(src, suppressed_nodes, &dep.suppressed, sink);
      FINDEX_RETURN_IF_ERROR(dc::EmitDependency(info, dep, sink));
    }
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& DependencyCheckXmlFormat() {
  static const FormatDescriptor kDesc{kFormat, "dependency-check", "OWASP Dependency-Check XML report (schemas 1.3 to 4.x)",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
