// Payload builders of response actions (pure functions): Slack, Teams, generic, template, Jira.
#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include "normalize/asff_writer.h"
#include "normalize/json_writer.h"
#include "normalize/text.h"
#include "rules/deliver.h"
#include "rules/deliver_util.h"

namespace findex {

namespace {

constexpr std::array<std::string_view, 10> kLinkFields = {"id",       "fingerprint", "scope",   "scanner", "rule",
                                                          "severity", "region",      "account", "event",   "action"};

std::string LinkField(std::string_view name, const Finding& f, ActionEvent event, std::string_view action) {
  if (name == "id") return f.id;
  if (name == "fingerprint") return f.fingerprint.Hex();
  if (name == "scope") return f.scope;
  if (name == "scanner") return f.scanner;
  if (name == "rule") return f.generator_id;
  if (name == "severity") return std::string(ToString(f.severity.label));
  if (name == "region") return f.region;
  if (name == "account") return f.aws_account_id;
  if (name == "event") return std::string(ToString(event));
  if (name == "action") return std::string(action);
  return {};
}

bool IsLinkField(std::string_view name) {
  return std::find(kLinkFields.begin(), kLinkFields.end(), name) != kLinkFields.end();
}

// Walks {name} placeholders of a link template; `on_field` gets each name, `on_text` the rest.
template <typename Text, typename Field>
Status WalkLink(std::string_view tmpl, Text on_text, Field on_field) {
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t open = tmpl.find('{', i);
    if (open == std::string_view::npos) {
      on_text(tmpl.substr(i));
      break;
    }
    on_text(tmpl.substr(i, open - i));
    size_t close = tmpl.find('}', open + 1);
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "link_template: unterminated { placeholder");
    }
    if (open > 0 && tmpl[open - 1] == '$') {
      // ${VAR}: an environment variable not expanded yet (the policy as written, a dry run):
      // kept as it is.
      on_text(tmpl.substr(open, close - open + 1));
      i = close + 1;
      continue;
    }
    std::string_view name = tmpl.substr(open + 1, close - open - 1);
    if (!IsLinkField(name)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "link_template: unknown placeholder {" + std::string(name) +
                           "} (known: id, fingerprint, scope, scanner, rule, severity, region, account, event, action)");
    }
    on_field(name);
    i = close + 1;
  }
  return Status::Ok();
}

constexpr std::array<std::string_view, 19> kTemplateFields = {
    "id",   "fingerprint", "scope", "scanner", "rule",     "title",         "description", "severity", "event", "action",
    "file", "line",        "url",   "resource", "vulnerability", "link",        "account",  "region", "asff"};

std::string TemplateField(std::string_view name, const Finding& f, ActionEvent event, std::string_view action,
                          std::string_view link) {
  if (name == "title") return f.title;
  if (name == "description") return f.description;
  if (name == "file") return f.location.file_path;
  if (name == "line") return f.location.start_line > 0 ? std::to_string(f.location.start_line) : std::string();
  if (name == "url") return f.location.url;
  if (name == "resource") return f.resources.empty() ? std::string() : f.resources.front().id;
  if (name == "vulnerability") return f.vulnerabilities.empty() ? std::string() : f.vulnerabilities.front().id;
  if (name == "link") return std::string(link);
  return LinkField(name, f, event, action);
}

template <typename Text, typename Field>
Status WalkTemplate(std::string_view tmpl, Text on_text, Field on_field) {
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t open = tmpl.find("{{", i);
    if (open == std::string_view::npos) {
      on_text(tmpl.substr(i));
      break;
    }
    on_text(tmpl.substr(i, open - i));
    size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "template: unterminated {{ placeholder");
    }
    std::string name = Trim(tmpl.substr(open + 2, close - open - 2));
    if (std::find(kTemplateFields.begin(), kTemplateFields.end(), name) == kTemplateFields.end()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "template: unknown field {{" + name +
                           "}} (known: id, fingerprint, scope, scanner, rule, title, description, severity, event, "
                           "action, file, line, url, resource, vulnerability, link, account, region, asff)");
    }
    on_field(name);
    i = close + 2;
  }
  return Status::Ok();
}

int EventRank(ActionEvent e) {
  switch (e) {
    case ActionEvent::kNew: return 0;
    case ActionEvent::kReopened: return 1;
    case ActionEvent::kSlaBreached: return 2;
    case ActionEvent::kResolved: return 3;
    case ActionEvent::kSuppressed: return 4;
  }
  return 5;
}

// Slack mrkdwn: &, < and > are control characters (links, mentions); escape them.
std::string SlackEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

// A URL inside <url|text>: escape the control characters and the separator.
std::string SlackUrl(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "%7C";
    else if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

std::string OneLine(std::string_view s, size_t max_chars) {
  return TruncateUtf8(CollapseWhitespace(s), max_chars);
}

std::string_view SlackEmoji(SeverityLabel l) {
  switch (l) {
    case SeverityLabel::kCritical: return ":red_circle:";
    case SeverityLabel::kHigh: return ":large_orange_circle:";
    case SeverityLabel::kMedium: return ":large_yellow_circle:";
    case SeverityLabel::kLow: return ":large_blue_circle:";
    case SeverityLabel::kInformational: return ":white_circle:";
  }
  return ":white_circle:";
}

std::string_view TeamsColor(SeverityLabel l) {
  switch (l) {
    case SeverityLabel::kCritical:
    case SeverityLabel::kHigh: return "Attention";
    case SeverityLabel::kMedium: return "Warning";
    default: return "Default";
  }
}

// "in `scope`" text: the one scope of the batch, or "in N scopes".
std::string ScopeText(std::span<const DeliveryItem> items) {
  std::vector<std::string> scopes;
  for (const DeliveryItem& it : items) {
    if (std::find(scopes.begin(), scopes.end(), it.finding->scope) == scopes.end()) scopes.push_back(it.finding->scope);
  }
  if (scopes.size() == 1) return scopes.front();
  return std::to_string(scopes.size()) + " scopes";
}

Result<std::string> LinkFor(const std::string& link_template, const DeliveryItem& it, std::string_view action) {
  if (link_template.empty()) return std::string();
  return ExpandLinkTemplate(link_template, *it.finding, it.event, action);
}

int TopN(const ActionDef& def) { return std::clamp(def.webhook.top_n, 1, 40); }

std::string CountText(size_t n) { return std::to_string(n) + (n == 1 ? " finding" : " findings"); }

// Jira wiki markup: a backslash before the characters that open markup inside a line (bold,
// emphasis, macros, links, tables, images, superscript, subscript, underline). '-' (strikethrough)
// is left alone: ids and paths are full of it, and it only formats between spaces.
std::string WikiEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\*_{}[]|!^~+").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string JoinVulnIds(const Finding& f) {
  std::string out;
  for (size_t i = 0; i < f.vulnerabilities.size() && i < 10; ++i) {
    if (!out.empty()) out += ", ";
    out += f.vulnerabilities[i].id;
  }
  if (f.vulnerabilities.size() > 10) out += ", ...";
  return out;
}

}  // namespace

Result<std::string> ExpandLinkTemplate(std::string_view tmpl, const Finding& f, ActionEvent event,
                                       std::string_view action) {
  std::string out;
  Status st = WalkLink(
      tmpl, [&](std::string_view t) { out += t; },
      [&](std::string_view name) { out += PercentEncode(LinkField(name, f, event, action)); });
  if (!st.ok()) return st.error();
  return out;
}

Status ValidateLinkTemplate(std::string_view tmpl) {
  return WalkLink(tmpl, [](std::string_view) {}, [](std::string_view) {});
}

Result<std::string> RenderTemplate(std::string_view tmpl, const Finding& f, ActionEvent event,
                                   std::string_view action, std::string_view link) {
  std::string out;
  Status st = WalkTemplate(
      tmpl, [&](std::string_view t) { out += t; },
      [&](const std::string& name) {
        if (name == "asff") {
          out += ToAsffJson(f);
        } else {
          std::string quoted;  // AppendJsonEscaped writes a JSON string, quotes included
          AppendJsonEscaped(&quoted, TemplateField(name, f, event, action, link));
          out.append(quoted, 1, quoted.size() - 2);
        }
      });
  if (!st.ok()) return st.error();
  return out;
}

Status ValidateTemplate(std::string_view tmpl) {
  return WalkTemplate(tmpl, [](std::string_view) {}, [](const std::string&) {});
}

std::string FindingLocation(const Finding& f) {
  if (!f.location.file_path.empty()) {
    return f.location.start_line > 0 ? f.location.file_path + ":" + std::to_string(f.location.start_line)
                                     : f.location.file_path;
  }
  if (!f.location.url.empty()) return f.location.url;
  if (!f.resources.empty()) return f.resources.front().id;
  return {};
}

std::vector<DeliveryItem> SortForBatch(std::span<const DeliveryItem> items) {
  std::vector<DeliveryItem> out(items.begin(), items.end());
  std::stable_sort(out.begin(), out.end(), [](const DeliveryItem& a, const DeliveryItem& b) {
    const Finding& fa = *a.finding;
    const Finding& fb = *b.finding;
    if (fa.severity.label != fb.severity.label) return fa.severity.label > fb.severity.label;
    if (fa.severity.normalized != fb.severity.normalized) return fa.severity.normalized > fb.severity.normalized;
    if (EventRank(a.event) != EventRank(b.event)) return EventRank(a.event) < EventRank(b.event);
    if (fa.title != fb.title) return fa.title < fb.title;
    return fa.id < fb.id;
  });
  return out;
}

std::string SeverityCounts(std::span<const DeliveryItem> items) {
  std::map<int, size_t> counts;
  for (const DeliveryItem& it : items) counts[static_cast<int>(it.finding->severity.label)]++;
  std::string out;
  for (auto i = counts.rbegin(); i != counts.rend(); ++i) {
    if (!out.empty()) out += ", ";
    out += std::to_string(i->second) + " " + std::string(ToString(static_cast<SeverityLabel>(i->first)));
  }
  return out;
}

std::string EventCounts(std::span<const DeliveryItem> items) {
  std::map<int, std::pair<ActionEvent, size_t>> counts;
  for (const DeliveryItem& it : items) {
    auto& slot = counts[EventRank(it.event)];
    slot.first = it.event;
    slot.second++;
  }
  std::string out;
  for (const auto& [rank, ev] : counts) {
    if (!out.empty()) out += ", ";
    out += std::to_string(ev.second) + " " + std::string(ToString(ev.first));
  }
  return out;
}

Result<std::string> BuildSlackPayload(const ActionDef& def, std::span<const DeliveryItem> items) {
  std::vector<DeliveryItem> sorted = SortForBatch(items);
  const size_t top = std::min<size_t>(sorted.size(), static_cast<size_t>(TopN(def)));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("text", OneLine("findex " + def.name + ": " + CountText(items.size()) + " (" + SeverityCounts(items) +
                              "; " + EventCounts(items) + ") in " + ScopeText(items),
                          1000));
  w.Key("blocks").BeginArray();
  w.BeginObject().Field("type", "header");
  w.Key("text").BeginObject().Field("type", "plain_text").Field("text", OneLine("findex: " + def.name, 150)).EndObject();
  w.EndObject();
  w.BeginObject().Field("type", "section");
  w.Key("text").BeginObject().Field("type", "mrkdwn");
  w.Field("text", "*" + CountText(items.size()) + "* in `" + SlackEscape(OneLine(ScopeText(items), 200)) + "`: " +
                      SeverityCounts(items) + " · " + EventCounts(items));
  w.EndObject().EndObject();
  for (size_t i = 0; i < top; ++i) {
    const DeliveryItem& it = sorted[i];
    const Finding& f = *it.finding;
    Result<std::string> link = LinkFor(def.webhook.link_template, it, def.name);
    if (!link) return link.error();
    std::string title = SlackEscape(OneLine(f.title.empty() ? f.generator_id : f.title, 200));
    std::string text = std::string(SlackEmoji(f.severity.label)) + " *" + std::string(ToString(f.severity.label)) +
                       "* (" + std::string(ToString(it.event)) + ") " +
                       (link->empty() ? title : "<" + SlackUrl(*link) + "|" + title + ">");
    std::string second = "`" + SlackEscape(OneLine(f.scanner, 60)) + "` · `" + SlackEscape(OneLine(f.generator_id, 120)) + "`";
    std::string loc = FindingLocation(f);
    if (!loc.empty()) second += " · " + SlackEscape(OneLine(loc, 300));
    w.BeginObject().Field("type", "section");
    w.Key("text").BeginObject().Field("type", "mrkdwn").Field("text", text + "\n" + second).EndObject();
    w.EndObject();
  }
  if (sorted.size() > top) {
    w.BeginObject().Field("type", "context");
    w.Key("elements").BeginArray();
    w.BeginObject().Field("type", "mrkdwn").Field("text", "and " + std::to_string(sorted.size() - top) + " more").EndObject();
    w.EndArray().EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

Result<std::string> BuildTeamsPayload(const ActionDef& def, std::span<const DeliveryItem> items) {
  std::vector<DeliveryItem> sorted = SortForBatch(items);
  const size_t top = std::min<size_t>(sorted.size(), static_cast<size_t>(TopN(def)));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("type", "message");
  w.Key("attachments").BeginArray().BeginObject();
  w.Field("contentType", "application/vnd.microsoft.card.adaptive");
  w.Key("contentUrl").Null();
  w.Key("content").BeginObject();
  w.Field("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
  w.Field("type", "AdaptiveCard").Field("version", "1.2");
  w.Key("body").BeginArray();
  w.BeginObject().Field("type", "TextBlock").Field("text", OneLine("findex: " + def.name, 150));
  w.Field("weight", "Bolder").Field("size", "Medium").Key("wrap").Bool(true).EndObject();
  w.BeginObject().Field("type", "TextBlock");
  w.Field("text", CountText(items.size()) + " in " + OneLine(ScopeText(items), 200) + ": " + SeverityCounts(items) +
                      " · " + EventCounts(items));
  w.Key("wrap").Bool(true).EndObject();
  std::string single_link;
  for (size_t i = 0; i < top; ++i) {
    const DeliveryItem& it = sorted[i];
    const Finding& f = *it.finding;
    Result<std::string> link = LinkFor(def.webhook.link_template, it, def.name);
    if (!link) return link.error();
    if (sorted.size() == 1) single_link = *link;
    w.BeginObject().Field("type", "Container").Key("separator").Bool(true);
    w.Key("items").BeginArray();
    w.BeginObject().Field("type", "TextBlock");
    w.Field("text", std::string(ToString(f.severity.label)) + " · " + std::string(ToString(it.event)));
    w.Field("color", TeamsColor(f.severity.label)).Field("weight", "Bolder").Key("wrap").Bool(true).EndObject();
    w.BeginObject().Field("type", "TextBlock").Field("text", OneLine(f.title.empty() ? f.generator_id : f.title, 200));
    w.Key("wrap").Bool(true).EndObject();
    w.BeginObject().Field("type", "FactSet").Key("facts").BeginArray();
    w.BeginObject().Field("title", "Scanner").Field("value", OneLine(f.scanner, 60)).EndObject();
    w.BeginObject().Field("title", "Rule").Field("value", OneLine(f.generator_id, 120)).EndObject();
    std::string loc = FindingLocation(f);
    if (!loc.empty()) w.BeginObject().Field("title", "Location").Field("value", OneLine(loc, 300)).EndObject();
    w.BeginObject().Field("title", "Scope").Field("value", OneLine(f.scope, 200)).EndObject();
    w.EndArray().EndObject();
    w.EndArray();
    if (!link->empty()) {
      w.Key("selectAction").BeginObject().Field("type", "Action.OpenUrl").Field("url", *link).EndObject();
    }
    w.EndObject();
  }
  if (sorted.size() > top) {
    w.BeginObject().Field("type", "TextBlock").Field("text", "and " + std::to_string(sorted.size() - top) + " more");
    w.Key("isSubtle").Bool(true).Key("wrap").Bool(true).EndObject();
  }
  w.EndArray();  // body
  if (!single_link.empty()) {
    w.Key("actions").BeginArray();
    w.BeginObject().Field("type", "Action.OpenUrl").Field("title", "Open finding").Field("url", single_link).EndObject();
    w.EndArray();
  }
  w.EndObject();  // content
  w.EndObject().EndArray();
  w.EndObject();
  return out;
}

Result<std::string> BuildGenericPayload(const ActionDef& def, std::span<const DeliveryItem> items) {
  if (items.empty()) return MakeError(ErrorCode::kInvalidArgument, "generic payload: no findings");
  for (const DeliveryItem& it : items) {
    if (it.event != items.front().event) {
      return MakeError(ErrorCode::kInternal, "generic payload: one message holds one event");
    }
  }
  if (items.size() == 1) return ToAsffJson(*items.front().finding);
  std::vector<DeliveryItem> sorted = SortForBatch(items);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("event", ToString(items.front().event));
  w.Field("action", def.name);
  w.Key("count").UInt(items.size());
  w.Key("findings").BeginArray();
  for (const DeliveryItem& it : sorted) w.Raw(ToAsffJson(*it.finding));
  w.EndArray();
  w.EndObject();
  return out;
}

std::string JiraSummary(const Finding& f) {
  std::string title = f.title.empty() ? f.generator_id : f.title;
  // Jira's summary is one line of at most 255 characters.
  return TruncateUtf8(CollapseWhitespace("[findex] " + std::string(ToString(f.severity.label)) + ": " + title), 255);
}

namespace {

std::string JiraFacts(const ActionDef& def, const DeliveryItem& item, const std::string& link) {
  const Finding& f = *item.finding;
  std::string d;
  d += "*Severity:* " + std::string(ToString(f.severity.label)) + "\n";
  d += "*Scanner:* " + WikiEscape(f.scanner) + "\n";
  d += "*Rule:* " + WikiEscape(f.generator_id) + "\n";
  std::string loc = FindingLocation(f);
  if (!loc.empty()) d += "*Location:* " + WikiEscape(loc) + "\n";
  std::string vulns = JoinVulnIds(f);
  if (!vulns.empty()) d += "*Vulnerabilities:* " + WikiEscape(vulns) + "\n";
  d += "*Scope:* " + WikiEscape(f.scope) + "\n";
  d += "*Finding:* " + WikiEscape(f.id) + "\n";
  if (!link.empty()) d += "*Link:* [" + link + "]\n";
  d += "_findex action " + WikiEscape(def.name) + ", event " + std::string(ToString(item.event)) + "_\n";
  return d;
}

std::string NoFormat(std::string_view text) {
  // {noformat} shows the scanner's text as it is; a "{noformat}" inside would end the block.
  std::string body(text);
  size_t pos = 0;
  while ((pos = body.find("{noformat}", pos)) != std::string::npos) {
    body.replace(pos, 10, "{ noformat}");
    pos += 11;
  }
  return "{noformat}\n" + body + "\n{noformat}\n";
}

}  // namespace

Result<std::string> BuildJiraIssue(const ActionDef& def, const DeliveryItem& item) {
  const Finding& f = *item.finding;
  Result<std::string> link = LinkFor(def.jira.link_template, item, def.name);
  if (!link) return link.error();
  std::string description = JiraFacts(def, item, *link);
  if (!f.description.empty()) description += "\n" + NoFormat(TruncateUtf8(f.description, 8000));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("fields").BeginObject();
  w.Key("project").BeginObject().Field("key", def.jira.project).EndObject();
  w.Key("issuetype").BeginObject().Field("name", def.jira.issue_type).EndObject();
  w.Field("summary", JiraSummary(f));
  w.Field("description", description);
  if (!def.jira.labels.empty()) {
    w.Key("labels").BeginArray();
    // Jira labels hold no spaces.
    for (const std::string& l : def.jira.labels) {
      std::string label = l;
      std::replace(label.begin(), label.end(), ' ', '_');
      w.String(label);
    }
    w.EndArray();
  }
  if (!def.jira.priority.empty()) w.Key("priority").BeginObject().Field("name", def.jira.priority).EndObject();
  w.EndObject().EndObject();
  return out;
}

Result<std::string> BuildJiraComment(const ActionDef& def, const DeliveryItem& item) {
  const Finding& f = *item.finding;
  Result<std::string> link = LinkFor(def.jira.link_template, item, def.name);
  if (!link) return link.error();
  std::string head;
  switch (item.event) {
    case ActionEvent::kNew: head = "findex: the finding was reported again."; break;
    case ActionEvent::kReopened: head = "findex: the finding is active again (reopened)."; break;
    case ActionEvent::kResolved: head = "findex: the finding is resolved (no longer reported)."; break;
    case ActionEvent::kSuppressed: head = "findex: the finding was suppressed."; break;
    case ActionEvent::kSlaBreached: head = "findex: the finding is past its SLA due date."; break;
  }
  std::string body = head + "\n*" + WikiEscape(OneLine(f.title.empty() ? f.generator_id : f.title, 255)) + "*\n" +
                     JiraFacts(def, item, *link);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("body", body).EndObject();
  return out;
}

}  // namespace findex
