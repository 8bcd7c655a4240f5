// Reads ASFF JSON back into a Finding: the inverse of asff_writer for every field it writes.
// Used by export (the store keeps each finding as untruncated ASFF) and by the ASFF ingester.
#pragma once

#include <simdjson.h>

#include <string_view>

#include "normalize/finding.h"
#include "normalize/result.h"

namespace findex {

// `obj` must be a JSON object. Missing required fields are not an error here: callers that
// need a valid finding check with ValidateAsff(). Views are copied; `obj` may die afterwards.
Status ReadAsff(simdjson::dom::element obj, Finding* out);
Result<Finding> ParseAsffJson(std::string_view json);

}  // namespace findex
