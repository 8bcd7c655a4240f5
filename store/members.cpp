#include "store/members.h"

namespace findex {

std::string EncodeMembers(const std::vector<int64_t>& ids) {
  std::string out;
  out.reserve(ids.size() * 2 + 1);
  int64_t prev = 0;
  for (int64_t id : ids) {
    uint64_t d = static_cast<uint64_t>(id - prev);  // ids ascending: d >= 1 after the first
    prev = id;
    while (d >= 0x80) {
      out.push_back(static_cast<char>((d & 0x7f) | 0x80));
      d >>= 7;
    }
    out.push_back(static_cast<char>(d));
  }
  return out;
}

Status DecodeMembers(std::string_view record, std::vector<int64_t>* ids) {
  int64_t prev = 0;
  size_t i = 0;
  while (i < record.size()) {
    uint64_t d = 0;
    int shift = 0;
    for (;;) {
      if (i >= record.size() || shift > 63) return MakeError(ErrorCode::kStore, "a run's membership record is corrupt");
      const auto b = static_cast<uint8_t>(record[i++]);
      d |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    prev += static_cast<int64_t>(d);
    ids->push_back(prev);
  }
  return Status::Ok();
}

}  // namespace findex
