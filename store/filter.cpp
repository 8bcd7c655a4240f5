#include "store/filter.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "normalize/timestamp.h"
#include "normalize/text.h"

namespace findex {
namespace {

void In(std::string* clause, std::vector<std::string>* params, const char* column,
        const std::vector<std::string>& values) {
  *clause += std::string(" AND ") + column + " IN (";
  for (size_t i = 0; i < values.size(); ++i) {
    *clause += i ? ",?" : "?";
    params->push_back(values[i]);
  }
  *clause += ")";
}

}  // namespace

Result<SqlWhere> CompileFilter(const FindingFilter& f) {
  SqlWhere w;
  std::string c = "1=1";
  if (f.min_severity) c += " AND severity >= " + std::to_string(static_cast<int>(*f.min_severity));
  if (f.max_severity) c += " AND severity <= " + std::to_string(static_cast<int>(*f.max_severity));
  if (!f.scanners.empty()) In(&c, &w.params, "scanner", f.scanners);
  if (!f.scopes.empty()) In(&c, &w.params, "scope", f.scopes);
  std::vector<std::string> record_states, workflows;
  for (const auto& s : f.states) {
    if (ParseRecordState(s)) {
      record_states.push_back(ToUpper(s));
    } else if (ParseWorkflowStatus(s)) {
      workflows.push_back(ToUpper(s));
    } else {
      return MakeError(ErrorCode::kInvalidArgument,
                       "unknown state '" + s + "' (ACTIVE, ARCHIVED, NEW, NOTIFIED, RESOLVED, SUPPRESSED)");
    }
  }
  if (!record_states.empty()) In(&c, &w.params, "record_state", record_states);
  if (!workflows.empty()) In(&c, &w.params, "workflow", workflows);
  if (!f.title_contains.empty()) {
    c += " AND instr(lower(title), lower(?)) > 0";
    w.params.push_back(f.title_contains);
  }
  if (!f.resource_contains.empty()) {
    c += " AND (instr(resource_id, ?) > 0 OR instr(location, ?) > 0)";
    w.params.push_back(f.resource_contains);
    w.params.push_back(f.resource_contains);
  }
  if (!f.vuln_id.empty()) {
    // The first vulnerability id is a column; every id and related id (GHSA <-> CVE) is in vuln_ids.
    c += " AND (vuln_id = ? OR instr(vuln_ids, ?) > 0)";
    w.params.push_back(ToUpper(f.vuln_id));
    w.params.push_back("\x1f" + ToUpper(f.vuln_id) + "\x1f");
  }
  if (!f.package.empty()) {
    c += " AND lower(package) = lower(?)";
    w.params.push_back(f.package);
  }
  if (!f.id.empty()) c += " AND " + IdCondition(f.id, &w.params);
  if (f.new_in_latest_run) {
    c += " AND first_seen_run IN (SELECT r.id FROM runs r WHERE r.scope = findings.scope AND r.batch ="
         " (SELECT max(r2.batch) FROM runs r2 WHERE r2.scope = findings.scope))";
  }
  if (!f.expression.empty()) {
    auto e = CompileExpression(f.expression, f.now_ms, f.sla ? &*f.sla : nullptr);
    if (!e.ok()) return e.error();
    if (!e->clause.empty()) {
      c += " AND " + e->clause;
      w.params.insert(w.params.end(), e->params.begin(), e->params.end());
    }
  }
  w.clause = "WHERE " + c;
  return w;
}

// ---------------------------------------------------------------------------------------------
// The filter language (see filter.h).

namespace {

enum class Kind { kSeverity, kText, kState, kWorkflow, kInt, kTime, kAge, kId,
                  kBool, kDate, kReal, kSla, kSlaDue, kSlaDays };

struct FieldDef {
  const char* name;
  Kind kind;
  const char* sql;  // expression over the findings table
  bool nullable;    // absent values are stored as NULL
  bool nocase;      // =, in and ~ ignore ASCII case
  bool segments;    // ~: '/' separates segments (* stays inside one); else '/' is ordinary
};

// path: the file part of location ("src/a.py:12" -> "src/a.py"); url: location when it is a URL.
// The store writes location as file_path[:start_line] or the URL (store.cpp LocationOf).
constexpr const char* kPathSql =
    "(CASE WHEN location IS NULL OR instr(location, '://') > 0 THEN NULL"
    " WHEN rtrim(location, '0123456789') != location AND rtrim(location, '0123456789') LIKE '_%:'"
    " THEN substr(location, 1, length(rtrim(location, '0123456789')) - 1) ELSE location END)";
constexpr const char* kUrlSql = "(CASE WHEN instr(location, '://') > 0 THEN location END)";

constexpr FieldDef kFields[] = {
    {"severity", Kind::kSeverity, "severity", false, false, false},
    {"scanner", Kind::kText, "scanner", false, true, false},
    {"format", Kind::kText, "format", false, true, false},
    {"rule", Kind::kText, "generator_id", false, false, false},
    {"title", Kind::kText, "title", false, true, false},
    {"state", Kind::kState, "record_state", false, false, false},
    {"workflow", Kind::kWorkflow, "workflow", false, false, false},
    {"scope", Kind::kText, "scope", false, false, false},
    {"resource", Kind::kText, "resource_id", true, false, true},
    {"location", Kind::kText, "location", true, false, true},
    {"path", Kind::kText, kPathSql, true, false, true},
    {"url", Kind::kText, kUrlSql, true, false, true},
    {"vuln", Kind::kText, "vuln_id", true, true, false},
    {"package", Kind::kText, "package", true, true, false},
    {"id", Kind::kId, "asff_id", false, false, false},
    {"first_seen", Kind::kTime, "first_observed_at", false, false, false},
    {"last_seen", Kind::kTime, "last_observed_at", false, false, false},
    {"updated", Kind::kTime, "updated_at", false, false, false},
    {"age", Kind::kAge, "first_observed_at", false, false, false},  // time since first seen
    {"occurrences", Kind::kInt, "occurrences", false, false, false},
    {"normalized", Kind::kInt, "normalized", false, false, false},
    // Policy and triage (schema 2): who decided what.
    {"triage", Kind::kWorkflow, "triage", true, false, false},
    {"lifecycle", Kind::kWorkflow, "lifecycle", true, false, false},
    {"policy", Kind::kText, "policy", true, false, false},
    {"note", Kind::kText, "note", true, true, false},
    // Exploitation data (schema 7, normalize/exploit.h's summary): NULL is no data.
    {"kev", Kind::kBool, "kev", true, false, false},
    {"kev_due", Kind::kDate, "kev_due", true, false, false},
    {"ransomware", Kind::kBool, "ransomware", true, false, false},
    {"epss", Kind::kReal, "epss", true, false, false},
    {"epss_percentile", Kind::kReal, "epss_percentile", true, false, false},
    // SLA (rules/sla.h), computed from the policy and the clock: see SlaSql.
    {"sla", Kind::kSla, "", false, false, false},
    {"sla_due", Kind::kSlaDue, "", false, false, false},
    {"sla_days_left", Kind::kSlaDays, "", false, false, false},
};

constexpr int64_t kDayMs = 86400000LL;

// Unix ms of an RFC 3339 text column, in SQL that SQLite and PostgreSQL both run (integer
// arithmetic on substrings; both truncate integer division toward zero): the instant
// ParseRfc3339 reads (YYYY-MM-DDTHH:MM:SS, optional fraction truncated to ms, Z or an offset
// +HH:MM / +HHMM).
std::string MsOfRfc3339Sql(const std::string& s) {
  auto num = [&](int pos, int len) {
    return "CAST(substr(" + s + ", " + std::to_string(pos) + ", " + std::to_string(len) + ") AS BIGINT)";
  };
  const std::string Y = num(1, 4), M = num(6, 2), D = num(9, 2);
  const std::string a = "((" + M + " - 14) / 12)";
  // Julian day number (Fliegel & Van Flandern), minus that of 1970-01-01.
  const std::string days = "((1461 * (" + Y + " + 4800 + " + a + ")) / 4 + (367 * (" + M + " - 2 - 12 * " + a +
                           ")) / 12 - (3 * ((" + Y + " + 4900 + " + a + ") / 100)) / 4 + " + D + " - 32075 - 2440588)";
  const std::string L = "length(" + s + ")";
  auto at = [&](const std::string& pos) { return "substr(" + s + ", " + pos + ", 1)"; };
  auto numAt = [&](const std::string& pos) { return "CAST(substr(" + s + ", " + pos + ", 2) AS BIGINT)"; };
  const std::string colon = at(L + " - 5") + " IN ('+', '-') AND " + at(L + " - 2") + " = ':'";
  const std::string plain = at(L + " - 4") + " IN ('+', '-')";
  const std::string zulu = at(L) + " IN ('Z', 'z')";
  const std::string tz_min =
      "(CASE WHEN " + zulu + " THEN 0 WHEN " + colon + " THEN (CASE " + at(L + " - 5") + " WHEN '-' THEN -1 ELSE 1 END) * (" +
      numAt(L + " - 4") + " * 60 + " + numAt(L + " - 1") + ") WHEN " + plain + " THEN (CASE " + at(L + " - 4") +
      " WHEN '-' THEN -1 ELSE 1 END) * (" + numAt(L + " - 3") + " * 60 + " + numAt(L + " - 1") + ") ELSE 0 END)";
  const std::string tz_len = "(CASE WHEN " + zulu + " THEN 1 WHEN " + colon + " THEN 6 WHEN " + plain + " THEN 5 ELSE 1 END)";
  const std::string frac = "(CASE WHEN substr(" + s + ", 20, 1) = '.' THEN CAST(substr(substr(" + s + ", 21, " + L +
                           " - 20 - " + tz_len + ") || '00', 1, 3) AS BIGINT) ELSE 0 END)";
  return "((" + days + " * 86400 + " + num(12, 2) + " * 3600 + " + num(15, 2) + " * 60 + " + num(18, 2) + " - " + tz_min +
         " * 60) * 1000 + " + frac + ")";
}

// Unix ms of the end (UTC) of a YYYY-MM-DD column, as sla.cpp's EndOfDay.
std::string EndOfDayMsSql(const std::string& d) {
  return "(" + MsOfRfc3339Sql(d + " || 'T00:00:00Z'") + " + " + std::to_string(kDayMs) + ")";
}

// The SLA of a findings row in SQL, exactly as ComputeSla (rules/sla.h) computes it.
struct SlaSql {
  std::string has_clock;  // never NULL
  std::string due;        // Unix ms; meaningful where has_clock
};

SlaSql MakeSlaSql(const SlaPolicy& p) {
  SlaSql out;
  std::string sevs, days;
  for (int i = 0; i < 5; ++i) {
    if (p.days[static_cast<size_t>(i)] < 0) continue;
    sevs += (sevs.empty() ? "" : ", ") + std::to_string(i);
    days += " WHEN " + std::to_string(i) + " THEN " + std::to_string(static_cast<int64_t>(p.days[static_cast<size_t>(i)]) * kDayMs);
  }
  if (sevs.empty()) {
    out.has_clock = "(1 = 0)";
    out.due = "0";
    return out;
  }
  out.has_clock = "(severity IN (" + sevs + ") AND workflow NOT IN ('SUPPRESSED', 'RESOLVED') AND record_state <> 'ARCHIVED')";
  const std::string start = "coalesce((SELECT " + MsOfRfc3339Sql("sla_run.started_at") +
                            " FROM runs sla_run WHERE sla_run.id = coalesce(findings.active_since_run, findings.first_seen_run)), 0)";
  const std::string base = "(" + start + " + (CASE severity" + days + " ELSE 0 END))";
  if (!p.kev_due_cap) {
    out.due = base;
    return out;
  }
  const std::string kev_end = EndOfDayMsSql("kev_due");
  out.due = "(CASE WHEN kev_due LIKE '____-__-__' AND " + kev_end + " < " + base + " THEN " + kev_end + " ELSE " + base + " END)";
  return out;
}

// The SLA state as a label ('breached', 'due_soon', 'ok', 'none'), for group-by.
std::string SlaStateSql(const SlaPolicy& p, int64_t now_ms) {
  const SlaSql q = MakeSlaSql(p);
  const std::string now = std::to_string(now_ms), soon = std::to_string(now_ms + p.due_soon_days * kDayMs);
  return "(CASE WHEN NOT " + q.has_clock + " THEN 'none' WHEN " + q.due + " <= " + now + " THEN 'breached' WHEN " + q.due +
         " <= " + soon + " THEN 'due_soon' ELSE 'ok' END)";
}

constexpr std::pair<const char*, const char*> kAliases[] = {
    {"cve", "vuln"}, {"generator", "rule"}, {"first-seen", "first_seen"}, {"last-seen", "last_seen"},
};

const FieldDef* FindField(std::string_view name) {
  std::string n = ToLower(name);
  for (const auto& [alias, target] : kAliases) {
    if (n == alias) n = target;
  }
  for (const auto& f : kFields) {
    if (n == f.name) return &f;
  }
  return nullptr;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string Suggest(std::string_view name) {
  std::vector<std::string> names;
  for (const auto& f : kFields) names.emplace_back(f.name);
  return ClosestMatch(name, names);
}

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

enum class Tok { kWord, kString, kOp, kLParen, kRParen, kComma, kAnd, kOr, kBang, kEnd };

struct Token {
  Tok type = Tok::kEnd;
  std::string text;  // word, unescaped string or operator
  size_t pos = 0;    // byte offset in the expression
};

bool WordChar(char c) {
  return !std::isspace(static_cast<unsigned char>(c)) && std::strchr("()=!<>~,\"'&|", c) == nullptr;
}

class Compiler {
 public:
  Compiler(std::string_view src, int64_t now_ms, const SlaPolicy* sla)
      : src_(src), now_ms_(now_ms ? now_ms : SystemNowMs()), sla_(sla) {}

  Result<SqlWhere> Run() {
    if (Status st = Lex(); !st.ok()) return st.error();
    SqlWhere out;
    if (toks_.size() == 1) return out;  // blank: no condition
    std::string sql;
    if (Status st = Or(&sql, 0); !st.ok()) return st.error();
    if (Peek().type != Tok::kEnd) {
      return Err(Peek().pos, "unexpected " + Describe(Peek()) + " (missing 'and' or 'or'?)");
    }
    out.clause = std::move(sql);
    out.params = std::move(params_);
    out.fields = std::move(fields_);
    out.values = std::move(values_);
    return out;
  }

 private:
  Error Err(size_t pos, std::string msg) const {
    return MakeError(ErrorCode::kInvalidArgument, std::move(msg), Where(pos));
  }

  std::string Where(size_t pos) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        col = 1;
      } else if ((static_cast<unsigned char>(src_[i]) & 0xC0) != 0x80) {
        ++col;  // count characters, not UTF-8 continuation bytes
      }
    }
    return "query: " + std::to_string(line) + ":" + std::to_string(col);
  }

  static std::string Describe(const Token& t) {
    switch (t.type) {
      case Tok::kEnd: return "end of expression";
      case Tok::kString: return "\"" + t.text + "\"";
      default: return "'" + t.text + "'";
    }
  }

  Status Lex() {
    size_t i = 0;
    const size_t n = src_.size();
    while (true) {
      while (i < n && std::isspace(static_cast<unsigned char>(src_[i]))) ++i;
      Token t;
      t.pos = i;
      if (i >= n) {
        toks_.push_back(t);
        return Status::Ok();
      }
      char c = src_[i];
      auto two = [&](char next) { return i + 1 < n && src_[i + 1] == next; };
      if (c == '(' || c == ')' || c == ',') {
        t.type = c == '(' ? Tok::kLParen : c == ')' ? Tok::kRParen : Tok::kComma;
        t.text = std::string(1, c);
        ++i;
      } else if (c == '"') {
        t.type = Tok::kString;
        ++i;
        bool closed = false;
        while (i < n) {
          if (src_[i] == '"') {
            closed = true;
            ++i;
            break;
          }
          // \" and \\ are escapes; any other backslash stays for the glob (\* is a literal star).
          if (src_[i] == '\\' && i + 1 < n && (src_[i + 1] == '"' || src_[i + 1] == '\\')) {
            t.text.push_back(src_[i + 1]);
            i += 2;
            continue;
          }
          t.text.push_back(src_[i++]);
        }
        if (!closed) return Err(t.pos, "unterminated string");
      } else if (c == '\'') {
        return Err(i, "strings use double quotes");
      } else if (c == '&' || c == '|') {
        if (!two(c)) return Err(i, std::string("unexpected '") + c + "' (use '" + c + c + "' or '" +
                                       (c == '&' ? "and" : "or") + "')");
        t.type = c == '&' ? Tok::kAnd : Tok::kOr;
        t.text = std::string(2, c);
        i += 2;
      } else if (c == '!') {
        if (two('=') || two('~')) {
          t.type = Tok::kOp;
          t.text = std::string(src_.substr(i, 2));
          i += 2;
        } else {
          t.type = Tok::kBang;
          t.text = "!";
          ++i;
        }
      } else if (c == '=' || c == '<' || c == '>' || c == '~') {
        t.type = Tok::kOp;
        t.text = std::string(1, c);
        ++i;
        if ((c == '<' || c == '>' || c == '=') && i < n && src_[i] == '=') {
          t.text.push_back('=');
          ++i;
        }
        if (t.text == "==") t.text = "=";
      } else {
        t.type = Tok::kWord;
        while (i < n && WordChar(src_[i])) t.text.push_back(src_[i++]);
      }
      toks_.push_back(std::move(t));
    }
  }

  const Token& Peek() const { return toks_[at_]; }
  const Token& Next() { return toks_[at_ < toks_.size() - 1 ? at_++ : at_]; }
  bool IsKeyword(const Token& t, const char* kw) const { return t.type == Tok::kWord && ToLower(t.text) == kw; }

  static constexpr int kMaxDepth = 64;  // nesting; bounds the recursion

  Status Or(std::string* sql, int depth) {
    std::string lhs;
    FINDEX_RETURN_IF_ERROR(And(&lhs, depth));
    std::vector<std::string> terms{std::move(lhs)};
    while (Peek().type == Tok::kOr || IsKeyword(Peek(), "or")) {
      Next();
      std::string rhs;
      FINDEX_RETURN_IF_ERROR(And(&rhs, depth));
      terms.push_back(std::move(rhs));
    }
    *sql = Join(terms, " OR ");
    return Status::Ok();
  }

  Status And(std::string* sql, int depth) {
    std::string lhs;
    FINDEX_RETURN_IF_ERROR(Unary(&lhs, depth));
    std::vector<std::string> terms{std::move(lhs)};
    while (Peek().type == Tok::kAnd || IsKeyword(Peek(), "and")) {
      Next();
      std::string rhs;
      FINDEX_RETURN_IF_ERROR(Unary(&rhs, depth));
      terms.push_back(std::move(rhs));
    }
    *sql = Join(terms, " AND ");
    return Status::Ok();
  }

  static std::string Join(const std::vector<std::string>& terms, const char* op) {
    if (terms.size() == 1) return terms[0];
    std::string s = "(";
    for (size_t i = 0; i < terms.size(); ++i) s += (i ? op : "") + terms[i];
    return s + ")";
  }

  Status Unary(std::string* sql, int depth) {
    if (depth > kMaxDepth) return Err(Peek().pos, "expression nested too deeply");
    if (Peek().type == Tok::kBang || IsKeyword(Peek(), "not")) {
      Next();
      std::string inner;
      FINDEX_RETURN_IF_ERROR(Unary(&inner, depth + 1));
      *sql = "(NOT " + inner + ")";
      return Status::Ok();
    }
    if (Peek().type == Tok::kLParen) {
      Token open = Next();
      std::string inner;
      FINDEX_RETURN_IF_ERROR(Or(&inner, depth + 1));
      if (Peek().type != Tok::kRParen) {
        return Err(Peek().pos, "expected ')' to close '(' at column " + std::to_string(open.pos + 1) + ", got " +
                                   Describe(Peek()));
      }
      Next();
      *sql = std::move(inner);
      return Status::Ok();
    }
    return Comparison(sql);
  }

  struct Value {
    std::string text;
    size_t pos = 0;
  };

  Result<Value> ParseValue(const std::string& after) {
    const Token& t = Peek();
    if (t.type != Tok::kWord && t.type != Tok::kString) {
      return Err(t.pos, "expected a value after " + after + ", got " + Describe(t));
    }
    Next();
    return Value{t.text, t.pos};
  }

  Status Comparison(std::string* sql) {
    const Token field_tok = Peek();
    if (field_tok.type != Tok::kWord) return Err(field_tok.pos, "expected a field name, got " + Describe(field_tok));
    const FieldDef* field = FindField(field_tok.text);
    if (!field) {
      std::string hint = Suggest(field_tok.text);
      std::string all;
      for (const auto& f : kFields) all += std::string(all.empty() ? "" : ", ") + f.name;
      return Err(field_tok.pos, "unknown field '" + field_tok.text + "'" +
                                    (hint.empty() ? " (fields: " + all + ")" : " (did you mean " + hint + "?)"));
    }
    if ((field->kind == Kind::kSla || field->kind == Kind::kSlaDue || field->kind == Kind::kSlaDays) && !sla_) {
      return Err(field_tok.pos, std::string(field->name) +
                                    " needs an SLA policy: no `sla:` key in the policy (findex.yml in the working "
                                    "directory, or --policy FILE; README \"SLA\")");
    }
    Next();
    fields_.emplace_back(field->name);
    const Token op_tok = Peek();
    bool negate = false;
    std::string op;
    std::vector<Value> values;
    if (IsKeyword(op_tok, "in") || (IsKeyword(op_tok, "not") && IsKeyword(toks_[at_ + 1], "in"))) {
      if (IsKeyword(op_tok, "not")) {
        negate = true;
        Next();
      }
      Next();
      op = "in";
      if (Peek().type != Tok::kLParen) return Err(Peek().pos, "expected '(' after 'in', got " + Describe(Peek()));
      Next();
      while (true) {
        auto v = ParseValue(values.empty() ? "'in ('" : "','");
        if (!v.ok()) return v.error();
        values.push_back(std::move(*v));
        if (Peek().type == Tok::kComma) {
          Next();
          continue;
        }
        if (Peek().type == Tok::kRParen) {
          Next();
          break;
        }
        return Err(Peek().pos, "expected ',' or ')' in the 'in' list, got " + Describe(Peek()));
      }
    } else if (op_tok.type == Tok::kOp) {
      Next();
      op = op_tok.text;
      auto v = ParseValue("'" + op + "'");
      if (!v.ok()) return v.error();
      values.push_back(std::move(*v));
    } else {
      return Err(op_tok.pos, "expected an operator (=, !=, <, <=, >, >=, ~, !~, in) after '" + field_tok.text +
                                 "', got " + Describe(op_tok));
    }
    auto cond = Condition(*field, op, op_tok.pos, values);
    if (!cond.ok()) return cond.error();
    *sql = negate ? "(NOT " + *cond + ")" : *cond;
    return Status::Ok();
  }

  // Normalizes one value for the field: severity -> rank, state/workflow -> upper case, numbers checked.
  Result<std::string> Normalize(const FieldDef& f, const Value& v) const {
    switch (f.kind) {
      case Kind::kSeverity: {
        auto l = ParseSeverityLabel(v.text);
        if (!l) {
          return Err(v.pos, "unknown severity '" + v.text + "' (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)");
        }
        return std::to_string(static_cast<int>(*l));
      }
      case Kind::kState:
        if (ParseRecordState(v.text)) return ToUpper(v.text);
        return Err(v.pos, "unknown state '" + v.text + "' (ACTIVE, ARCHIVED" +
                              (ParseWorkflowStatus(v.text) ? "; " + ToUpper(v.text) + " is a workflow status)" : ")"));
      case Kind::kWorkflow:
        if (ParseWorkflowStatus(v.text)) return ToUpper(v.text);
        if (f.nullable && v.text.empty()) return std::string();  // triage="" : no person decided
        return Err(v.pos, "unknown workflow '" + v.text + "' (NEW, NOTIFIED, RESOLVED, SUPPRESSED" +
                              (ParseRecordState(v.text) ? "; " + ToUpper(v.text) + " is a state)" : ")"));
      case Kind::kTime: {
        bool date_only = false;
        auto ms = ParseFilterTime(v.text, now_ms_, &date_only);
        if (!ms) {
          return Err(v.pos, std::string(f.name) + " takes an RFC 3339 time (2026-01-31T12:00:00Z), a date (2026-01-31) or "
                            "now-N with a unit h, d or w (now-30d), got '" + v.text + "'");
        }
        std::string t = FormatTimestamp(*ms);
        return date_only ? t.substr(0, 10) : t;  // a date alone: the whole day with =, != and in
      }
      case Kind::kAge: {
        auto d = ParseFilterDuration(v.text);
        if (!d) return Err(v.pos, "age takes a duration N with a unit h, d or w (30d), got '" + v.text + "'");
        return FormatTimestamp(now_ms_ - *d);  // first seen at or before this instant
      }
      case Kind::kBool: {
        const std::string t = ToLower(v.text);
        if (t == "true" || t == "yes" || t == "1") return std::string("1");
        if (t == "false" || t == "no" || t == "0") return std::string("0");
        if (t.empty() || t == "unknown") return std::string();  // no data
        return Err(v.pos, std::string(f.name) + " takes true, false or unknown (no data), got '" + v.text + "'");
      }
      case Kind::kDate: {
        if (v.text.empty() || ToLower(v.text) == "unknown") return std::string();
        bool date_only = false;
        auto ms = ParseFilterTime(v.text, now_ms_, &date_only);
        if (!ms || (!date_only && ToLower(v.text.substr(0, 3)) != "now")) {
          return Err(v.pos, std::string(f.name) + " takes a date (2026-01-31) or now-N with a unit h, d or w, got '" + v.text + "'");
        }
        return FormatTimestamp(*ms).substr(0, 10);
      }
      case Kind::kReal: {
        if (v.text.empty() || ToLower(v.text) == "unknown") return std::string();
        auto d = ParseNumber(v.text);
        if (!d || *d < 0 || *d > 1) {
          return Err(v.pos, std::string(f.name) + " takes a number from 0 to 1 (0.1, not 10%), got '" + v.text + "'");
        }
        return v.text;
      }
      case Kind::kSla: {
        std::string t;
        for (char c : v.text) t.push_back(c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        if (t == "breached" || t == "due_soon" || t == "ok" || t == "none") return t;
        return Err(v.pos, "sla takes breached, due_soon, ok or none, got '" + v.text + "'");
      }
      case Kind::kSlaDue: {
        auto ms = ParseFilterTime(v.text, now_ms_);
        if (!ms) {
          return Err(v.pos, "sla_due takes an RFC 3339 time (2026-01-31T12:00:00Z), a date (2026-01-31) or "
                            "now+N with a unit h, d or w (now+7d), got '" + v.text + "'");
        }
        return std::to_string(*ms);
      }
      case Kind::kSlaDays: {
        auto d = ParseNumber(v.text);
        if (!d || *d < -1e6 || *d > 1e6) return Err(v.pos, "sla_days_left takes a number of days (3, -1.5), got '" + v.text + "'");
        return v.text;
      }
      case Kind::kInt: {
        bool digits = !v.text.empty() && v.text.size() <= 18 &&
                      std::all_of(v.text.begin(), v.text.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) return Err(v.pos, std::string(f.name) + " takes a whole number, got '" + v.text + "'");
        return v.text;
      }
      default:
        return v.text;
    }
  }

  std::string Bind(std::string value) {
    params_.push_back(std::move(value));
    return "?";
  }

  static std::optional<double> ParseNumber(const std::string& t) {
    if (t.empty() || t.size() > 32) return std::nullopt;
    for (char c : t)
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E') return std::nullopt;
    char* end = nullptr;
    const double d = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() || d != d) return std::nullopt;
    return d;
  }

  // The SLA state `state` (breached, due_soon, ok, none) as a condition that is never NULL.
  std::string SlaState(const std::string& state) const {
    const SlaSql q = MakeSlaSql(*sla_);
    const std::string now = std::to_string(now_ms_), soon = std::to_string(now_ms_ + sla_->due_soon_days * kDayMs);
    if (state == "none") return "(NOT " + q.has_clock + ")";
    if (state == "breached") return "(" + q.has_clock + " AND " + q.due + " <= " + now + ")";
    if (state == "due_soon") return "(" + q.has_clock + " AND " + q.due + " > " + now + " AND " + q.due + " <= " + soon + ")";
    return "(" + q.has_clock + " AND " + q.due + " > " + soon + ")";
  }

  // `field = value` as a condition that is never NULL, so that NOT is a plain complement.
  std::string Equals(const FieldDef& f, const std::string& v) {
    if (f.kind == Kind::kSla) return SlaState(v);
    if (f.kind == Kind::kBool) {
      return v.empty() ? std::string(f.sql) + " IS NULL" : "(" + std::string(f.sql) + " IS NOT NULL AND " + f.sql + " = " + v + ")";
    }
    if (f.kind == Kind::kReal && !v.empty()) {
      return "(" + std::string(f.sql) + " IS NOT NULL AND " + f.sql + " = CAST(" + Bind(v) + " AS DOUBLE PRECISION))";
    }
    if (f.kind == Kind::kId) return IdCondition(v, &params_);
    if (f.kind == Kind::kTime && v.size() == 10) return "substr(" + std::string(f.sql) + ", 1, 10) = " + Bind(v);
    if (f.kind == Kind::kSeverity || f.kind == Kind::kInt) return std::string(f.sql) + " = CAST(" + Bind(v) + " AS INTEGER)";
    if (f.nullable && v.empty()) return std::string(f.sql) + " IS NULL";  // field="" : absent
    std::string c = std::string(f.sql) + (f.nocase ? " COLLATE NOCASE" : "") + " = " + Bind(v);
    return f.nullable ? "(" + std::string(f.sql) + " IS NOT NULL AND " + c + ")" : c;
  }

  Result<std::string> Condition(const FieldDef& f, const std::string& op, size_t op_pos,
                                const std::vector<Value>& values) {
    const bool ordered = op == "<" || op == "<=" || op == ">" || op == ">=";
    const bool glob = op == "~" || op == "!~";
    if (f.kind == Kind::kAge && !ordered) {
      return Err(op_pos, "operator '" + op + "' does not apply to age (use <, <=, >, >=, e.g. age>30d)");
    }
    if ((f.kind == Kind::kSlaDue || f.kind == Kind::kSlaDays) && !ordered) {
      return Err(op_pos, "operator '" + op + "' does not apply to " + f.name + " (use <, <=, >, >=, e.g. " +
                             (f.kind == Kind::kSlaDue ? "sla_due<now+7d" : "sla_days_left<3") + ")");
    }
    const bool orderable = f.kind == Kind::kSeverity || f.kind == Kind::kInt || f.kind == Kind::kTime || f.kind == Kind::kAge ||
                           f.kind == Kind::kDate || f.kind == Kind::kReal || f.kind == Kind::kSlaDue || f.kind == Kind::kSlaDays;
    const bool globbable = f.kind == Kind::kText || f.kind == Kind::kTime || f.kind == Kind::kId;
    if ((ordered && !orderable) || (glob && !globbable)) {
      std::string ops = orderable ? "=, !=, <, <=, >, >=, in" : globbable ? "=, !=, ~, !~, in" : "=, !=, in";
      if (orderable && globbable) ops = "=, !=, <, <=, >, >=, ~, !~, in";
      return Err(op_pos, "operator '" + op + "' does not apply to " + f.name + " (use " + ops + ")");
    }
    std::vector<std::string> norm;
    for (const auto& v : values) {
      auto n = glob ? Result<std::string>(v.text) : Normalize(f, v);
      if (!n.ok()) return n.error();
      norm.push_back(std::move(*n));
      if (!glob && !ordered) values_.push_back(FieldValue{f.name, v.text, Where(v.pos)});
    }
    const std::string col = f.sql;
    if (op == "=") return Equals(f, norm[0]);
    if (op == "!=") return "(NOT " + Equals(f, norm[0]) + ")";
    if (glob) {
      std::string c = "findex_glob(" + Bind(f.nocase ? ToLower(norm[0]) : norm[0]) + ", " +
                      (f.nocase ? "lower(" + col + ")" : col) + ", " + (f.segments ? "1" : "0") + ")";
      return op == "~" ? c : "(NOT " + c + ")";
    }
    if (ordered && (f.kind == Kind::kDate || f.kind == Kind::kReal)) {
      if (norm[0].empty()) return Err(values[0].pos, std::string(f.name) + " " + op + " needs a value (no data is not ordered)");
      const std::string rhs = f.kind == Kind::kReal ? "CAST(" + Bind(norm[0]) + " AS DOUBLE PRECISION)" : Bind(norm[0]);
      return "(" + col + " IS NOT NULL AND " + col + " " + op + " " + rhs + ")";
    }
    if (ordered && f.kind == Kind::kSlaDue) {
      const SlaSql q = MakeSlaSql(*sla_);
      return "(" + q.has_clock + " AND " + q.due + " " + op + " " + norm[0] + ")";
    }
    if (ordered && f.kind == Kind::kSlaDays) {
      // days_left = (due - now) / 1 day; compared on whole ms: x < t <=> x < ceil(t), x <= t <=> x <= floor(t).
      const long double t = std::strtold(norm[0].c_str(), nullptr) * static_cast<long double>(kDayMs);
      const bool up = op == "<" || op == ">=";
      const int64_t bound = static_cast<int64_t>(up ? std::ceil(t) : std::floor(t));
      const SlaSql q = MakeSlaSql(*sla_);
      return "(" + q.has_clock + " AND (" + q.due + " - " + std::to_string(now_ms_) + ") " + op + " " + std::to_string(bound) + ")";
    }
    if (ordered && f.kind == Kind::kAge) {
      // Older than 30 days: first seen before now-30d.
      const std::string flipped = op == "<" ? ">" : op == "<=" ? ">=" : op == ">" ? "<" : "<=";
      return col + " " + flipped + " " + Bind(norm[0]);
    }
    if (ordered) {
      // A date alone is its midnight (UTC).
      std::string v = f.kind == Kind::kTime && norm[0].size() == 10 ? norm[0] + "T00:00:00.000Z" : norm[0];
      std::string rhs = f.kind == Kind::kTime ? Bind(v) : "CAST(" + Bind(v) + " AS INTEGER)";
      return col + " " + op + " " + rhs;
    }
    // in: one IN list where possible (indexable), equality terms for ids and absent values.
    if (f.kind == Kind::kSla || f.kind == Kind::kBool || f.kind == Kind::kReal || f.kind == Kind::kDate) {
      std::vector<std::string> terms;
      for (const auto& v : norm) terms.push_back(Equals(f, v));
      return Join(terms, " OR ");
    }
    if (f.kind == Kind::kId) {
      std::vector<std::string> terms;
      for (const auto& v : norm) terms.push_back(Equals(f, v));
      return Join(terms, " OR ");
    }
    if (f.kind == Kind::kTime) {
      std::vector<std::string> terms;
      for (const auto& v : norm) terms.push_back(Equals(f, v));
      return Join(terms, " OR ");
    }
    std::string list;
    bool absent = false;
    for (const auto& v : norm) {
      if (f.nullable && v.empty()) {
        absent = true;
        continue;
      }
      std::string p = Bind(v);
      if (f.kind == Kind::kSeverity || f.kind == Kind::kInt) p = "CAST(" + p + " AS INTEGER)";
      list += (list.empty() ? "" : ", ") + p;
    }
    std::string c;
    if (!list.empty()) {
      c = col + (f.nocase ? " COLLATE NOCASE" : "") + " IN (" + list + ")";
      if (f.nullable) c = "(" + col + " IS NOT NULL AND " + c + ")";
    }
    if (absent) c = c.empty() ? col + " IS NULL" : "(" + col + " IS NULL OR " + c + ")";
    return c;
  }

  std::string_view src_;
  int64_t now_ms_;
  const SlaPolicy* sla_;
  std::vector<Token> toks_;
  size_t at_ = 0;
  std::vector<std::string> params_;
  std::vector<std::string> fields_;
  std::vector<FieldValue> values_;
};

}  // namespace

Result<SqlWhere> CompileExpression(std::string_view expr, int64_t now_ms, const SlaPolicy* sla) {
  return Compiler(expr, now_ms, sla).Run();
}

constexpr int64_t kMaxFilterTimeMs = 253402300799999;  // 9999-12-31T23:59:59.999Z

std::optional<int64_t> ParseFilterDuration(std::string_view v) {
  if (v.size() < 2 || v.size() > 8) return std::nullopt;  // at most 7 digits: no overflow
  int64_t unit = 0;
  switch (std::tolower(static_cast<unsigned char>(v.back()))) {
    case 'h': unit = 3600 * 1000LL; break;
    case 'd': unit = 86400 * 1000LL; break;
    case 'w': unit = 7 * 86400 * 1000LL; break;
    default: return std::nullopt;
  }
  int64_t n = 0;
  for (char c : v.substr(0, v.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n * unit;
}

std::optional<int64_t> ParseFilterTime(std::string_view v, int64_t now_ms, bool* date_only) {
  if (date_only) *date_only = false;
  if (v.size() >= 3 && ToLower(v.substr(0, 3)) == "now") {
    const int64_t now = now_ms ? now_ms : SystemNowMs();
    std::string_view rest = v.substr(3);
    if (rest.empty()) return now;
    if (rest[0] != '-' && rest[0] != '+') return std::nullopt;
    auto d = ParseFilterDuration(rest.substr(1));
    if (!d) return std::nullopt;
    const int64_t ms = rest[0] == '-' ? now - *d : now + *d;
    if (ms < 0 || ms > kMaxFilterTimeMs) return std::nullopt;  // 1970 .. 9999
    return ms;
  }
  Rfc3339Time t;
  if (v.size() == 10) {
    if (!ParseRfc3339(std::string(v) + "T00:00:00Z", &t)) return std::nullopt;
    if (date_only) *date_only = true;
    return t.epoch_seconds * 1000;
  }
  if (!ParseRfc3339(v, &t)) return std::nullopt;
  const int64_t ms = t.epoch_seconds * 1000 + t.nanos / 1000000;
  if (ms < 0 || ms > kMaxFilterTimeMs) return std::nullopt;
  return ms;
}

std::string ClosestMatch(std::string_view value, const std::vector<std::string>& candidates) {
  std::string n = ToLower(value), best;
  size_t best_d = 3;  // suggest only close names
  for (const auto& c : candidates) {
    size_t d = EditDistance(n, ToLower(c));
    if (d < best_d && d < n.size()) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string IdCondition(const std::string& raw, std::vector<std::string>* params) {
  // Also Store::Resolve's rules (triage, note, history), which add only a minimum length.
  const std::string key = Trim(raw);
  auto bind = [&](std::string v) {
    params->push_back(std::move(v));
    return std::string("?");
  };
  const bool digits = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
  const bool hex = !key.empty() && key.size() <= 32 &&
                   std::all_of(key.begin(), key.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  std::string c = "(asff_id = " + bind(key);
  if (StartsWith(key, "findex/") && key.size() >= 15) {
    c += " OR substr(asff_id, 1, " + std::to_string(key.size()) + ") = " + bind(key);
  }
  if (hex && !(digits && key.size() < 8)) {
    const std::string n = std::to_string(key.size());
    // One bind per statement: the operands of + are unsequenced.
    c += " OR substr(lower(hex(fingerprint)), 1, " + n + ") = " + bind(ToLower(key));
    c += " OR substr(asff_id, 1, 7 + " + n + ") = " + bind("findex/" + ToLower(key));
  }
  if (digits && (key.size() < 8 || !hex)) c += " OR id = CAST(" + bind(key) + " AS INTEGER)";
  return c + ")";
}

std::vector<std::string> ExpressionFields() {
  std::vector<std::string> out;
  for (const auto& f : kFields) out.emplace_back(f.name);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Glob matching: the pattern becomes tokens; the text positions reachable after each token are
// tracked as a set (O(pattern x text), no backtracking blow-up).

namespace {

enum class G { kLit, kOne, kChar, kStar, kAny, kDirs };  // c, ? in a segment, ? , *, **, **/

// `segments` false: '/' is an ordinary character (* and ** alike match anything, ? any one).
std::vector<std::pair<G, char>> GlobTokens(std::string_view p, bool segments) {
  std::vector<std::pair<G, char>> out;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      out.emplace_back(G::kLit, p[++i]);
    } else if (c == '?') {
      out.emplace_back(segments ? G::kOne : G::kChar, 0);
    } else if (c == '*' && !segments) {
      while (i + 1 < p.size() && p[i + 1] == '*') ++i;
      out.emplace_back(G::kAny, 0);
    } else if (c == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        while (i + 1 < p.size() && p[i + 1] == '*') ++i;
        // `**/` at the start or after '/' spans whole directories, including none.
        bool dirs = i + 1 < p.size() && p[i + 1] == '/' && (out.empty() || (out.back() == std::pair<G, char>{G::kLit, '/'}));
        if (dirs) {
          ++i;
          out.emplace_back(G::kDirs, 0);
        } else {
          out.emplace_back(G::kAny, 0);
        }
      } else {
        out.emplace_back(G::kStar, 0);
      }
    } else {
      out.emplace_back(G::kLit, c);
    }
  }
  return out;
}

bool GlobMatchTokens(const std::vector<std::pair<G, char>>& toks, std::string_view t) {
  const size_t m = t.size();
  std::vector<char> cur(m + 1, 0), next(m + 1, 0);
  cur[0] = 1;
  for (const auto& [g, c] : toks) {
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    size_t first = m + 1;
    for (size_t j = 0; j <= m; ++j) {
      if (cur[j]) {
        first = j;
        break;
      }
    }
    if (first > m) return false;
    switch (g) {
      case G::kLit:
        for (size_t j = first; j < m; ++j) next[j + 1] = cur[j] && t[j] == c;
        break;
      case G::kOne:
        for (size_t j = first; j < m; ++j) next[j + 1] = cur[j] && t[j] != '/';
        break;
      case G::kChar:
        for (size_t j = first; j < m; ++j) next[j + 1] = cur[j];
        break;
      case G::kStar:
        for (size_t j = first; j <= m; ++j) {
          // reachable if reached before this token, or by extending a run without '/'
          next[j] = cur[j] || (j > first && next[j - 1] && t[j - 1] != '/');
        }
        break;
      case G::kAny:
        for (size_t j = first; j <= m; ++j) next[j] = 1;
        break;
      case G::kDirs:
        // stay, or move just past any '/' at or after a reachable position
        for (size_t j = first; j <= m; ++j) {
          next[j] = cur[j] || (any && t[j - 1] == '/');
          any = any || cur[j];
        }
        break;
    }
    cur.swap(next);
  }
  return cur[m] != 0;
}

// findex_glob(pattern, text[, segments]): segments defaults to 1.
void SqlGlob(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  // The tokenized pattern is cached per statement (the pattern is a bound constant).
  using Tokens = std::vector<std::pair<G, char>>;
  const auto* toks = static_cast<const Tokens*>(sqlite3_get_auxdata(ctx, 0));
  Tokens local;
  if (!toks) {
    const char* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    const bool segments = argc < 3 || sqlite3_value_int(argv[2]) != 0;
    local = GlobTokens(std::string_view(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(argv[0]))), segments);
    // SQLite keeps the copy for later rows of this statement, or frees it at once.
    sqlite3_set_auxdata(ctx, 0, new Tokens(local), [](void* v) { delete static_cast<Tokens*>(v); });
    toks = &local;
  }
  const char* t = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  std::string_view text(t ? t : "", static_cast<size_t>(sqlite3_value_bytes(argv[1])));
  sqlite3_result_int(ctx, GlobMatchTokens(*toks, text) ? 1 : 0);
}

int AutoExtension(sqlite3* db, const char**, const sqlite3_api_routines*) { return RegisterFilterFunctions(db); }

// Installed before main(): filter.o is always linked with the store (CompileFilter).
const int kAutoExtensionInstalled = sqlite3_auto_extension(reinterpret_cast<void (*)()>(&AutoExtension));

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text, bool segments) {
  return GlobMatchTokens(GlobTokens(pattern, segments), text);
}

int RegisterFilterFunctions(sqlite3* db) {
  (void)kAutoExtensionInstalled;
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = sqlite3_create_function_v2(db, "findex_glob", 2, flags, nullptr, &SqlGlob, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return rc;
  return sqlite3_create_function_v2(db, "findex_glob", 3, flags, nullptr, &SqlGlob, nullptr, nullptr, nullptr);
}

std::vector<std::string> GroupByFields() {
  return {"severity", "scanner", "scope", "state", "workflow", "rule", "resource", "path", "url", "location",
          "vuln", "package", "format", "title", "kev", "kev_due", "ransomware", "sla"};
}

std::vector<std::string> SortKeys() {
  return {"severity", "updated", "title", "scanner", "first-seen", "kev", "kev_due", "epss", "epss_percentile", "sla", "sla_due"};
}

std::string OrderByClause(const FindingFilter& filter) {
  const std::string& o = filter.order_by;
  if (o == "updated") return " ORDER BY updated_at DESC, id";
  if (o == "title") return " ORDER BY title, id";
  if (o == "scanner") return " ORDER BY scanner, severity DESC, id";
  if (o == "first-seen") return " ORDER BY first_seen_run DESC, id";
  // Listed first, then not listed, then no data; the most severe first within.
  if (o == "kev") return " ORDER BY coalesce(kev, -1) DESC, severity DESC, id";
  // The earliest due date first; no data last.
  if (o == "kev_due") return " ORDER BY (kev_due IS NULL), kev_due, severity DESC, id";
  // The highest score first; no data last.
  if (o == "epss") return " ORDER BY (epss IS NULL), epss DESC, severity DESC, id";
  if (o == "epss_percentile") return " ORDER BY (epss_percentile IS NULL), epss_percentile DESC, severity DESC, id";
  if ((o == "sla" || o == "sla_due") && filter.sla) {
    // The earliest due (most overdue) first; findings without a clock last.
    const SlaSql q = MakeSlaSql(*filter.sla);
    return " ORDER BY (CASE WHEN " + q.has_clock + " THEN 0 ELSE 1 END), (CASE WHEN " + q.has_clock + " THEN " + q.due +
           " ELSE 0 END), severity DESC, id";
  }
  return " ORDER BY severity DESC, id";
}

bool FilterUsesSla(const FindingFilter& f, const std::string& group_by) {
  if (f.order_by == "sla" || f.order_by == "sla_due" || ToLower(group_by) == "sla") return true;
  if (f.expression.empty()) return false;
  const SlaPolicy probe;
  auto w = CompileExpression(f.expression, f.now_ms ? f.now_ms : 1, &probe);
  if (!w.ok()) return false;
  for (const auto& n : w->fields)
    if (n == "sla" || n == "sla_due" || n == "sla_days_left") return true;
  return false;
}

Result<std::string> GroupByColumn(const std::string& field, const FindingFilter* filter) {
  std::string f = ToLower(field);
  if (f == "kev") return std::string("CASE kev WHEN 1 THEN 'true' WHEN 0 THEN 'false' END");
  if (f == "ransomware") return std::string("CASE ransomware WHEN 1 THEN 'true' WHEN 0 THEN 'false' END");
  if (f == "kev_due") return std::string("kev_due");
  if (f == "sla") {
    if (!filter || !filter->sla) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--group-by sla needs an SLA policy: no `sla:` key in the policy (findex.yml in the working "
                       "directory, or --policy FILE)");
    }
    return SlaStateSql(*filter->sla, filter->now_ms ? filter->now_ms : SystemNowMs());
  }
  if (f == "severity") {
    return std::string(
        "CASE severity WHEN 0 THEN 'INFORMATIONAL' WHEN 1 THEN 'LOW' WHEN 2 THEN 'MEDIUM' WHEN 3 THEN 'HIGH' "
        "ELSE 'CRITICAL' END");
  }
  if (f == "scanner") return std::string("scanner");
  if (f == "scope") return std::string("scope");
  if (f == "state") return std::string("record_state");
  if (f == "workflow") return std::string("workflow");
  if (f == "rule" || f == "generator") return std::string("generator_id");
  if (f == "resource") return std::string("resource_id");
  if (f == "vuln" || f == "cve") return std::string("vuln_id");
  if (f == "package") return std::string("package");
  if (f == "format") return std::string("format");
  if (f == "title") return std::string("title");
  if (f == "path") return std::string(kPathSql);
  if (f == "url") return std::string(kUrlSql);
  if (f == "location") return std::string("location");
  std::string all;
  for (const auto& g : GroupByFields()) all += (all.empty() ? "" : ", ") + g;
  return MakeError(ErrorCode::kInvalidArgument, "cannot group by '" + field + "' (one of: " + all + ")");
}

}  // namespace findex
