// Which findings a run observed (store schema 6: table run_members), one compact record per run
// instead of one row per finding per run: the sorted finding ids, delta-encoded as varints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "normalize/result.h"

namespace findex {

// `ids` sorted ascending without duplicates.
std::string EncodeMembers(const std::vector<int64_t>& ids);
// Appends the ids of a record written by EncodeMembers; corrupt input is an error.
Status DecodeMembers(std::string_view record, std::vector<int64_t>* ids);

}  // namespace findex
