#include "ingest/xml_util.h"

#include "normalize/text.h"

namespace findex {

Status LoadXml(Source& src, pugi::xml_document* doc) {
  std::string_view text = src.text();
  if (Trim(text).empty()) return MakeError(ErrorCode::kParse, "empty file", src.path());
  // parse_embed_pcdata keeps entity decoding (parse_minimal does not decode &amp;).
  unsigned opts = pugi::parse_default | pugi::parse_embed_pcdata;
  pugi::xml_parse_result r =
      doc->load_buffer_inplace(const_cast<char*>(text.data()), text.size(), opts, pugi::encoding_utf8);
  if (!r) {
    uint64_t off = static_cast<uint64_t>(r.offset);
    return MakeError(ErrorCode::kParse, std::string("malformed XML: ") + r.description(),
                     src.path() + ":" + std::to_string(src.LineAt(off)) + " (byte " +
                         std::to_string(off + src.text_offset()) + ")");
  }
  if (!doc->document_element()) return MakeError(ErrorCode::kParse, "XML has no root element", src.path());
  return Status::Ok();
}

std::string_view XmlRootName(std::string_view head) {
  size_t i = 0;
  while (i < head.size()) {
    size_t lt = head.find('<', i);
    if (lt == std::string_view::npos || lt + 1 >= head.size()) return {};
    std::string_view rest = head.substr(lt);
    if (StartsWith(rest, "<?")) {
      size_t e = head.find("?>", lt);
      if (e == std::string_view::npos) return {};
      i = e + 2;
    } else if (StartsWith(rest, "<!--")) {
      size_t e = head.find("-->", lt);
      if (e == std::string_view::npos) return {};
      i = e + 3;
    } else if (StartsWith(rest, "<!")) {
      // DOCTYPE, possibly with an internal subset [ ... ].
      size_t br = head.find('[', lt), gt = head.find('>', lt);
      if (br != std::string_view::npos && br < gt) {
        size_t e = head.find("]>", br);
        if (e == std::string_view::npos) return {};
        i = e + 2;
      } else {
        if (gt == std::string_view::npos) return {};
        i = gt + 1;
      }
    } else {
      size_t s = lt + 1, e = s;
      while (e < head.size() && head[e] != ' ' && head[e] != '>' && head[e] != '/' && head[e] != '\n' &&
             head[e] != '\r' && head[e] != '\t')
        ++e;
      return head.substr(s, e - s);
    }
  }
  return {};
}

std::string ChildText(pugi::xml_node n, const char* name) { return Trim(n.child(name).text().as_string()); }

Reject XmlReject(const Source& src, pugi::xml_node n, std::string reason) {
  Reject r;
  ptrdiff_t off = n.offset_debug();
  if (off >= 0) {
    r.offset = static_cast<uint64_t>(off) + src.text_offset();
    r.line = src.LineAt(static_cast<uint64_t>(off));
  }
  r.where = n.path();
  r.reason = std::move(reason);
  return r;
}

}  // namespace findex
