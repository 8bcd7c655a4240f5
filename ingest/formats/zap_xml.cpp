// OWASP ZAP "Traditional XML" report (zap-xml), ZAP 2.x to 2.16, weekly and dev builds, and
// "Traditional XML Plus" (instances with request/response elements, not kept):
//   <OWASPZAPReport [programName="ZAP"] version="2.10.0" generated="<localized date>">
//     <site name="http://host:8080" host="host" port="8080" ssl="false">
//       <alerts>
//         <alertitem><pluginid/><alertRef/>?<alert/><name/><riskcode/><confidence/><riskdesc/>
//           <confidencedesc/>?<desc/>
//           <instances><instance><uri/><method/><param/><attack/><evidence/><otherinfo/>?
//             [<requestheader/><requestbody/><responseheader/><responsebody/>]</instance></instances>
//           <count/><systemic/>?<solution/><otherinfo/><reference/><cweid/><wascid/><sourceid/>
//           <tags><tag><tag/><link/></tag></tags>?
//         </alertitem>
// Old reports have no <instances>: the instance's <uri>/<method>/<param>/<attack>/<evidence> sit
// directly in <alertitem> (one alertitem per instance); they become one Resource.
// An SPDX comment before the <?xml?> declaration (secureCodeBox copies) is accepted; <alerts/>
// empty gives no finding.
//
// One finding per (site, alertitem). Severity, confidence and identity: see zap_common.cpp
// (shared with zap-json: the XML and the JSON report of one scan give the same fingerprints).
// Rejects: an alertitem with neither pluginid nor name, or with an invalid riskcode.
#include <cstring>

#include "ingest/formats/zap_common.h"
#include "ingest/xml_util.h"

namespace findex {
namespace {

using zap::Alert;
using zap::Instance;
using zap::ReportInfo;
using zap::Site;

constexpr std::string_view kExt[] = {".xml"};

SniffConfidence Sniff(std::string_view head) {
  return XmlRootName(head) == "OWASPZAPReport" ? SniffConfidence::kCertain : SniffConfidence::kNo;
}

// Element text as a view into pugixml's in-place buffer (entities already decoded).
std::string_view Text(pugi::xml_node n) {
  const char* s = n.child_value();
  return std::string_view(s, std::strlen(s));
}

std::string_view Attr(pugi::xml_node n, const char* name) {
  const char* s = n.attribute(name).value();
  return std::string_view(s, std::strlen(s));
}

void ReadInstance(pugi::xml_node n, Alert* a) {
  if (a->instance_total >= zap::kMaxInstances) {
    ++a->instance_total;
    return;
  }
  Instance in;
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view name = c.name();
    if (name == "uri") in.uri = Text(c);
    else if (name == "method") in.method = Text(c);
    else if (name == "param") in.param = Text(c);
    else if (name == "attack") in.attack = Text(c);
    else if (name == "evidence") in.evidence = Text(c);
    else if (name == "otherinfo") in.otherinfo = Text(c);
    // requestheader / requestbody / responseheader / responsebody, nodeName: not kept.
  }
  a->AddInstance(in);
}

void ReadTags(pugi::xml_node tags, Alert* a) {
  for (pugi::xml_node t : tags.children("tag")) {
    std::string_view name = zap::TrimView(Text(t.child("tag")));
    if (name.empty()) continue;
    if (!a->tags.empty()) a->tags += ',';
    a->tags += name;
  }
}

void ReadAlertItem(pugi::xml_node item, Alert* a) {
  for (pugi::xml_node c = item.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view name = c.name();
    std::string_view* slot = nullptr;
    switch (name.empty() ? '\0' : name[0]) {
      case 'a':
        slot = name == "alert" ? &a->alert : name == "alertRef" ? &a->alert_ref : name == "attack" ? &a->legacy.attack : nullptr;
        break;
      case 'c':
        slot = name == "confidence" ? &a->confidence : name == "count" ? &a->count : name == "cweid" ? &a->cweid : nullptr;
        break;
      case 'd':
        slot = name == "desc" ? &a->desc : nullptr;
        break;
      case 'e':
        slot = name == "evidence" ? &a->legacy.evidence : nullptr;
        break;
      case 'i':
        if (name == "instances") {
          for (pugi::xml_node in : c.children("instance")) ReadInstance(in, a);
        }
        break;
      case 'm':
        slot = name == "method" ? &a->legacy.method : nullptr;
        break;
      case 'n':
        slot = name == "name" ? &a->name : nullptr;
        break;
      case 'o':
        slot = name == "otherinfo" ? &a->otherinfo : nullptr;
        break;
      case 'p':
        slot = name == "pluginid" ? &a->pluginid : name == "param" ? &a->legacy.param : nullptr;
        break;
      case 'r':
        slot = name == "riskcode" ? &a->riskcode : name == "riskdesc" ? &a->riskdesc : name == "reference" ? &a->reference : nullptr;
        break;
      case 's':
        slot = name == "solution" ? &a->solution : name == "systemic" ? &a->systemic : nullptr;
        break;
      case 't':
        if (name == "tags") ReadTags(c, a);
        break;
      case 'u':
        if (name == "uri") {
          slot = &a->legacy.uri;
          a->has_legacy = true;
        }
        break;
      case 'w':
        slot = name == "wascid" ? &a->wascid : nullptr;
        break;
      default:
        break;  // sourceid, confidencedesc, ...: not used
    }
    if (slot) *slot = Text(c);
  }
}

Status Ingest(Source& src, const IngestOptions&, FindingSink& sink) {
  pugi::xml_document doc;
  FINDEX_RETURN_IF_ERROR(LoadXml(src, &doc));
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "OWASPZAPReport") {
    return MakeError(ErrorCode::kSchema,
                     "not a ZAP XML report: root element is <" + std::string(root.name()) + ">, expected <OWASPZAPReport>",
                     src.path());
  }
  ReportInfo info;
  info.format = "zap-xml";
  info.version = Attr(root, "version");
  Alert a;  // reused across alerts (keeps its instance capacity)
  size_t site_index = 0;
  for (pugi::xml_node s : root.children("site")) {
    Site site;
    site.name = Attr(s, "name");
    site.host = Attr(s, "host");
    site.port = Attr(s, "port");
    site.ssl = Attr(s, "ssl");
    if (!zap::NormalizeSite(site.name).empty()) sink.AddTarget(zap::NormalizeSite(site.name));  // target: the site
    size_t alert_index = 0;
    for (pugi::xml_node item : s.child("alerts").children("alertitem")) {
      a.Clear();
      a.site_index = site_index;
      a.alert_index = alert_index++;
      ReadAlertItem(item, &a);
      Finding f;
      std::string reason = zap::MakeFinding(a, site, info, &f);
      if (!reason.empty()) {
        Reject r = XmlReject(src, item, std::move(reason));
        r.where = zap::AlertWhere(a.site_index, a.alert_index);
        sink.AddReject(std::move(r));
        continue;
      }
      FINDEX_RETURN_IF_ERROR(sink.Accept(std::move(f)));
    }
    ++site_index;
  }
  return Status::Ok();
}

}  // namespace

const FormatDescriptor& ZapXmlFormat() {
  static const FormatDescriptor kDesc{"zap-xml", "zap", "OWASP ZAP traditional XML report (2.x to 2.16, plus variant)",
                                      kExt, Sniff, Ingest};
  return kDesc;
}

}  // namespace findex
