// Helpers for XML reports (pugixml). pugixml does not expand external entities (no XXE).
#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>

#include "ingest/ingester.h"
#include "ingest/source.h"

namespace findex {

// Parses in place over src's buffer (zero copy; the document must not outlive `src`).
// Accepts comments before the <?xml ?> declaration (some ZAP reports have an SPDX header).
Status LoadXml(Source& src, pugi::xml_document* doc);
// For sniffers: the name of the first element in head, skipping the declaration, comments,
// processing instructions and DOCTYPE. Empty when none found.
std::string_view XmlRootName(std::string_view head);
// Text of a child element, trimmed; "" when absent.
std::string ChildText(pugi::xml_node n, const char* name);
// Reject located at node n.
Reject XmlReject(const Source& src, pugi::xml_node n, std::string reason);

}  // namespace findex
