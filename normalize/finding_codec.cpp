#include "normalize/finding_codec.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

namespace findex {
namespace {

constexpr uint8_t kVersion = 1;     // the record as written by Writer
constexpr uint8_t kCompressed = 2;
constexpr uint64_t kExploitSection = 1;  // optional trailing section: ExploitInfo per vulnerability  // kVersion's record (without its version byte), zstd-compressed
// Details below this size stay raw: zstd's frame costs more than it saves.
constexpr size_t kCompressMin = 160;
constexpr int kZstdLevel = 1;  // measured: level 3 saved little more on finding details, at twice the CPU
constexpr size_t kMaxDetails = 256u << 20;  // a decompressed size above this is corrupt

// ASFF strings are NonEmptyString: a map entry without text is not written (asff_writer.cpp).
bool HasText(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c != ' ' && c != '\t' && c != '\n' && c != '\r'; });
}

class Writer {
 public:
  Writer(std::string* out, const EncodeOptions& opts, std::vector<DetailText>* texts)
      : out_(out), opts_(opts), texts_(texts) {}

  void U(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void I(int64_t v) { U((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }  // zigzag
  // A string inline.
  void S(std::string_view s) {
    U(static_cast<uint64_t>(s.size()) << 1);
    out_->append(s);
  }
  // An optional ASFF string: blank is absent (asff_writer's Opt), so it is stored empty.
  void O(std::string_view s) { S(HasText(s) ? s : std::string_view()); }
  void OT(std::string_view s) {
    if (HasText(s)) T(s);
    else S({});
  }
  // A string of an interned kind: rule or vulnerability text shared by many findings.
  void T(std::string_view s) {
    if (opts_.intern_min == 0 || s.size() < opts_.intern_min) {
      S(s);
      return;
    }
    const uint64_t h = TextHash(s);
    U(1);
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((h >> (8 * i)) & 0xff);
    out_->append(b, 8);
    if (texts_) texts_->push_back({h, s});
  }
  void List(const std::vector<std::string>& v, bool intern) {
    U(v.size());
    for (const auto& s : v) intern ? T(s) : S(s);
  }
  // A list ASFF writes without its blank entries (asff_writer's StringList).
  void TextList(const std::vector<std::string>& v, bool intern) {
    U(static_cast<uint64_t>(std::count_if(v.begin(), v.end(), [](const std::string& s) { return HasText(s); })));
    for (const auto& s : v) {
      if (HasText(s)) intern ? T(s) : S(s);
    }
  }
  void Map(const std::map<std::string, std::string>& m, bool intern_values) {
    size_t n = 0;
    for (const auto& [k, v] : m) n += HasText(k) && HasText(v);
    U(n);
    for (const auto& [k, v] : m) {
      if (!HasText(k) || !HasText(v)) continue;
      S(k);
      intern_values ? T(v) : S(v);
    }
  }

 private:
  std::string* out_;
  const EncodeOptions& opts_;
  std::vector<DetailText>* texts_;
};

class Reader {
 public:
  Reader(std::string_view in, const std::function<Result<std::string>(uint64_t)>& text) : in_(in), text_(text) {}
  bool ok() const { return ok_; }
  const std::string& why() const { return why_; }

  uint64_t U() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail("truncated number");
      const auto b = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return Fail("number too long");
  }
  int64_t I() {
    const uint64_t z = U();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  std::string S() {
    const uint64_t tag = U();
    if (!ok_) return {};
    if (tag == 1) {
      if (in_.size() - pos_ < 8) {
        Fail("truncated text reference");
        return {};
      }
      uint64_t h = 0;
      for (int i = 0; i < 8; ++i) h |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
      pos_ += 8;
      auto t = text_(h);
      if (!t.ok()) {
        Fail(t.error().message);
        return {};
      }
      return std::move(*t);
    }
    if (tag & 1) {
      Fail("bad string tag");
      return {};
    }
    const uint64_t n = tag >> 1;
    if (n > in_.size() - pos_) {
      Fail("truncated string");
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // A count of items that each take at least one byte: larger than what is left is corrupt.
  size_t Count() {
    const uint64_t n = U();
    if (n > in_.size() - pos_) {
      Fail("bad count");
      return 0;
    }
    return static_cast<size_t>(n);
  }
  std::vector<std::string> List() {
    std::vector<std::string> v(Count());
    for (auto& s : v) s = S();
    return v;
  }
  std::map<std::string, std::string> Map() {
    std::map<std::string, std::string> m;
    const size_t n = Count();
    for (size_t i = 0; i < n && ok_; ++i) {
      std::string k = S();
      m[std::move(k)] = S();
    }
    return m;
  }
  double D() {
    if (in_.size() - pos_ < 8) {
      Fail("truncated number");
      return 0;
    }
    double d;
    std::memcpy(&d, in_.data() + pos_, 8);
    pos_ += 8;
    return d;
  }
  bool AtEnd() const { return pos_ == in_.size(); }

 private:
  uint64_t Fail(const char* why) { return Fail(std::string(why)); }
  uint64_t Fail(std::string why) {
    if (ok_) why_ = std::move(why);
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
  std::string why_;
  const std::function<Result<std::string>(uint64_t)>& text_;
};

void PutDouble(std::string* out, double d) {
  char b[8];
  std::memcpy(b, &d, 8);
  out->append(b, 8);
}

}  // namespace

uint64_t TextHash(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }

void EncodeDetails(const Finding& f, const EncodeOptions& opts, std::string* out, std::vector<DetailText>* texts,
                   uint64_t* content_hash) {
  out->clear();
  if (texts) texts->clear();
  Writer w(out, opts, texts);
  out->push_back(static_cast<char>(kVersion));
  // Stored as ASFF would keep it (asff_writer.cpp): what ASFF drops (blank optional strings,
  // blank list entries, vendor details without a vendor, the purl) is not stored either, so that
  // a finding and the same finding read back from ASFF (a store before schema 6) are equal.
  w.T(f.product_arn);
  w.S(f.aws_account_id);
  w.O(f.region);
  w.O(f.product_name);
  w.O(f.company_name);
  w.List(f.types, true);
  w.T(f.description);
  w.O(f.severity.original);
  w.I(f.confidence);
  w.I(f.criticality);
  w.OT(f.remediation_text);
  w.OT(f.remediation_url);
  w.OT(f.source_url);
  w.Map(f.product_fields, true);
  w.Map(f.user_defined_fields, false);
  w.U(f.resources.size());
  for (const auto& r : f.resources) {
    w.S(HasText(r.type) ? std::string_view(r.type) : std::string_view("Other"));
    w.S(HasText(r.id) ? std::string_view(r.id) : std::string_view("unknown"));
    w.O(r.partition);
    w.O(r.region);
    w.Map(r.details_other, false);
  }
  w.U(f.resource_count > f.resources.size() ? f.resource_count : f.resources.size());
  w.U(f.vulnerabilities.size());
  for (const auto& v : f.vulnerabilities) {
    w.S(HasText(v.id) ? std::string_view(v.id) : std::string_view("unknown"));
    w.U(v.vulnerable_packages.size());
    for (const auto& p : v.vulnerable_packages) {
      w.O(p.name);
      w.O(p.version);
      w.O(p.epoch);
      w.O(p.release);
      w.O(p.architecture);
      w.O(p.package_manager);
      w.O(p.file_path);
      w.O(p.fixed_in_version);
      w.OT(p.remediation);
    }
    w.U(v.cvss.size());
    for (const auto& c : v.cvss) {
      w.O(c.version);
      PutDouble(out, c.base_score >= 0 ? c.base_score : -1);
      w.OT(c.base_vector);
      w.O(c.source);
    }
    w.TextList(v.reference_urls, true);
    w.TextList(v.related_vulnerabilities, false);
    w.O(v.fix_available);
    const bool vendor = HasText(v.vendor_name);
    w.S(vendor ? std::string_view(v.vendor_name) : std::string_view());
    w.OT(vendor ? std::string_view(v.vendor_url) : std::string_view());
    w.O(vendor ? std::string_view(v.vendor_severity) : std::string_view());
  }
  w.List(f.cwes, false);
  w.S(f.location.file_path);
  w.I(std::max(f.location.start_line, 0));
  w.I(std::max(f.location.end_line, 0));
  w.S(f.location.url);
  const bool note = f.note && HasText(f.note->text);
  w.U(note ? 1 : 0);
  if (note) {
    w.T(f.note->text);
    w.S(HasText(f.note->updated_by) ? std::string_view(f.note->updated_by) : std::string_view("findex"));
    w.O(f.note->updated_at);
  }
  // Exploitation data (issue 11), only when some vulnerability has any: a record without it is
  // byte-identical to one written before it existed (same content hash, no spurious "updated").
  bool exploit = false;
  for (const auto& v : f.vulnerabilities) exploit = exploit || !v.exploit.empty();
  if (exploit) {
    w.U(kExploitSection);
    for (const auto& v : f.vulnerabilities) {
      const ExploitInfo& e = v.exploit;
      PutDouble(out, e.epss >= 0 ? e.epss : -1);
      PutDouble(out, e.epss_percentile >= 0 ? e.epss_percentile : -1);
      w.O(e.epss_date);
      w.I(e.kev < 0 ? -1 : e.kev);
      w.O(e.kev_date_added);
      w.O(e.kev_due);
      w.I(e.ransomware < 0 ? -1 : e.ransomware);
      w.O(e.exploit_available);
      w.O(e.last_known_exploit_at);
    }
  }
  if (content_hash) *content_hash = DetailsContentHash(f, *out);
  if (opts.compress && out->size() >= kCompressMin) {
    thread_local ZSTD_CCtx* cctx = ZSTD_createCCtx();
    thread_local std::string buf;
    buf.resize(1 + ZSTD_compressBound(out->size() - 1));
    const size_t n = cctx ? ZSTD_compressCCtx(cctx, buf.data() + 1, buf.size() - 1, out->data() + 1, out->size() - 1,
                                              kZstdLevel)
                          : 0;
    if (cctx && !ZSTD_isError(n) && n + 1 < out->size()) {
      buf[0] = static_cast<char>(kCompressed);
      out->assign(buf.data(), n + 1);
    }
  }
}

Status DecodeDetails(std::string_view details, const std::function<Result<std::string>(uint64_t)>& text, Finding* f) {
  if (details.empty() || (static_cast<uint8_t>(details[0]) != kVersion && static_cast<uint8_t>(details[0]) != kCompressed)) {
    return MakeError(ErrorCode::kStore, details.empty() ? "no stored details" : "stored details of an unknown version");
  }
  std::string_view record = details.substr(1);
  thread_local std::string plain;
  if (static_cast<uint8_t>(details[0]) == kCompressed) {
    const unsigned long long size = ZSTD_getFrameContentSize(record.data(), record.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxDetails) {
      return MakeError(ErrorCode::kStore, "stored details are corrupt (compressed frame)");
    }
    thread_local ZSTD_DCtx* dctx = ZSTD_createDCtx();
    plain.resize(static_cast<size_t>(size));
    const size_t n = dctx ? ZSTD_decompressDCtx(dctx, plain.data(), plain.size(), record.data(), record.size()) : 0;
    if (!dctx || ZSTD_isError(n) || n != plain.size()) {
      return MakeError(ErrorCode::kStore, "stored details are corrupt (cannot decompress)");
    }
    record = plain;
  }
  Reader r(record, text);
  f->product_arn = r.S();
  f->aws_account_id = r.S();
  f->region = r.S();
  f->product_name = r.S();
  f->company_name = r.S();
  f->types = r.List();
  f->description = r.S();
  f->severity.original = r.S();
  f->confidence = static_cast<int>(r.I());
  f->criticality = static_cast<int>(r.I());
  f->remediation_text = r.S();
  f->remediation_url = r.S();
  f->source_url = r.S();
  f->product_fields = r.Map();
  f->user_defined_fields = r.Map();
  f->resources.resize(r.Count());
  for (auto& res : f->resources) {
    res.type = r.S();
    res.id = r.S();
    res.partition = r.S();
    res.region = r.S();
    res.details_other = r.Map();
  }
  f->resource_count = r.U();
  f->vulnerabilities.resize(r.Count());
  for (auto& v : f->vulnerabilities) {
    v.id = r.S();
    v.vulnerable_packages.resize(r.Count());
    for (auto& p : v.vulnerable_packages) {
      p.name = r.S();
      p.version = r.S();
      p.epoch = r.S();
      p.release = r.S();
      p.architecture = r.S();
      p.package_manager = r.S();
      p.file_path = r.S();
      p.fixed_in_version = r.S();
      p.remediation = r.S();
    }
    v.cvss.resize(r.Count());
    for (auto& c : v.cvss) {
      c.version = r.S();
      c.base_score = r.D();
      c.base_vector = r.S();
      c.source = r.S();
    }
    v.reference_urls = r.List();
    v.related_vulnerabilities = r.List();
    v.fix_available = r.S();
    v.vendor_name = r.S();
    v.vendor_url = r.S();
    v.vendor_severity = r.S();
  }
  f->cwes = r.List();
  f->location.file_path = r.S();
  f->location.start_line = static_cast<int>(r.I());
  f->location.end_line = static_cast<int>(r.I());
  f->location.url = r.S();
  if (r.U() == 1) {
    Note n;
    n.text = r.S();
    n.updated_by = r.S();
    n.updated_at = r.S();
    f->note = std::move(n);
  }
  if (r.ok() && !r.AtEnd()) {
    if (r.U() != kExploitSection) return MakeError(ErrorCode::kStore, "stored details have an unknown section");
    for (auto& v : f->vulnerabilities) {
      ExploitInfo& e = v.exploit;
      e.epss = r.D();
      e.epss_percentile = r.D();
      e.epss_date = r.S();
      e.kev = static_cast<int>(r.I());
      e.kev_date_added = r.S();
      e.kev_due = r.S();
      e.ransomware = static_cast<int>(r.I());
      e.exploit_available = r.S();
      e.last_known_exploit_at = r.S();
    }
  }
  if (r.ok() && !r.AtEnd()) return MakeError(ErrorCode::kStore, "stored details have trailing bytes");
  if (!r.ok()) return MakeError(ErrorCode::kStore, "stored details are corrupt: " + r.why());
  return Status::Ok();
}

uint64_t DetailsContentHash(const Finding& f, std::string_view details) {
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  auto add = [&](std::string_view s) {
    const uint64_t n = s.size();
    XXH3_64bits_update(&st, &n, sizeof n);
    XXH3_64bits_update(&st, s.data(), s.size());
  };
  add(details);
  add(f.id);
  add(f.scanner);
  add(f.format);
  add(f.generator_id);
  add(f.title);
  add(std::string_view(reinterpret_cast<const char*>(f.fingerprint.bytes.data()), f.fingerprint.bytes.size()));
  const int64_t sev[2] = {static_cast<int64_t>(f.severity.label), f.severity.normalized};
  XXH3_64bits_update(&st, sev, sizeof sev);
  return XXH3_64bits_digest(&st);
}

}  // namespace findex
