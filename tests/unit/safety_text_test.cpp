// Output sanitizing (issue 8, defect 16): terminal text (normalize/text.h SanitizeForTerminal),
// CSV formula cells (NeutralizeCsvCell) and Markdown mentions/references (rules/report.cpp).
#include <gtest/gtest.h>

#include <string>

#include "normalize/text.h"
#include "rules/report.h"

using namespace findex;

TEST(SanitizeForTerminal, EscapeSequencesBecomeVisibleText) {
  // OSC 8 hyperlink ended by BEL, a CSI colour, a bare ESC, NUL.
  const std::string osc = "Title \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 end";
  std::string out = SanitizeForTerminal(osc);
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_EQ(out.find('\x07'), std::string::npos) << out;
  EXPECT_EQ(out, "Title \\x1b]8;;https://evil.example\\x07link\\x1b]8;;\\x07 end");
  EXPECT_EQ(SanitizeForTerminal("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(SanitizeForTerminal(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(SanitizeForTerminal("del\x7f"), "del\\x7f");
}

TEST(SanitizeForTerminal, C1ControlsBidiAndInvalidBytes) {
  EXPECT_EQ(SanitizeForTerminal("a\xc2\x9b" "31mb"), "a\\u009b31mb");  // U+009B: CSI as a C1 control
  EXPECT_EQ(SanitizeForTerminal("x\x9by"), "x\\x9by");                  // a lone 0x9B byte
  EXPECT_EQ(SanitizeForTerminal("ab\xe2\x80\xae" "cd"), "ab\\u202ecd");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(SanitizeForTerminal("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x92"), "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x92");
}

TEST(SanitizeForTerminal, LineBreaksAndTabs) {
  EXPECT_EQ(SanitizeForTerminal("one\ntwo\tthree\rfour"), "one two three four");
  EXPECT_EQ(SanitizeForTerminal("one\ntwo\tthree\rfour", /*multiline=*/true), "one\ntwo\tthree four");
  EXPECT_EQ(SanitizeForTerminal("plain text, 100% <ok> & \"quoted\""), "plain text, 100% <ok> & \"quoted\"");
}

TEST(NeutralizeCsvCell, FormulaPrefixesGetAQuote) {
  EXPECT_EQ(NeutralizeCsvCell("=HYPERLINK(\"http://x\",\"y\")"), "'=HYPERLINK(\"http://x\",\"y\")");
  EXPECT_EQ(NeutralizeCsvCell("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
  EXPECT_EQ(NeutralizeCsvCell("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
  EXPECT_EQ(NeutralizeCsvCell("@SUM(1+1)"), "'@SUM(1+1)");
  EXPECT_EQ(NeutralizeCsvCell("\tx"), "'\tx");
  EXPECT_EQ(NeutralizeCsvCell("\rx"), "'\rx");
}

TEST(NeutralizeCsvCell, OtherCellsAndNumbersUnchanged) {
  EXPECT_EQ(NeutralizeCsvCell(""), "");
  EXPECT_EQ(NeutralizeCsvCell("SQL injection"), "SQL injection");
  EXPECT_EQ(NeutralizeCsvCell("a=b"), "a=b");
  EXPECT_EQ(NeutralizeCsvCell("-12"), "-12");
  EXPECT_EQ(NeutralizeCsvCell("+3.5"), "+3.5");
  EXPECT_EQ(NeutralizeCsvCell("-1e6"), "-1e6");
  EXPECT_EQ(NeutralizeCsvCell("-"), "'-");
  EXPECT_EQ(NeutralizeCsvCell("-1e"), "'-1e");
}

TEST(MarkdownReport, MentionsAndIssueReferencesAreNeutralized) {
  GateReport r;
  r.has_verdict = true;
  r.passed = false;
  GateResult g;
  g.name = "ci";
  g.passed = false;
  g.violated = {"CRITICAL: 1 > 0"};
  r.gates.push_back(g);
  ReportItem it;
  it.status = ItemStatus::kViolation;
  it.gates = {"ci"};
  it.finding.scanner = "semgrep";
  it.finding.title = "Ping @org/team and @alice about #123 and acme/app#45 (mail a@ b)";
  it.finding.severity.label = SeverityLabel::kCritical;
  it.finding.location.file_path = "src/a.py";
  it.finding.location.start_line = 3;
  r.items.push_back(it);
  const std::string md = WriteMarkdownReport(r, 10);
  const std::string zwsp = "\xE2\x80\x8B";
  EXPECT_EQ(md.find("@org/team"), std::string::npos) << md;
  EXPECT_EQ(md.find("@alice"), std::string::npos) << md;
  EXPECT_NE(md.find("@" + zwsp + "org/team"), std::string::npos) << md;
  EXPECT_NE(md.find("@" + zwsp + "alice"), std::string::npos) << md;
  EXPECT_NE(md.find("\\#" + zwsp + "123"), std::string::npos) << md;
  EXPECT_NE(md.find("acme/app\\#" + zwsp + "45"), std::string::npos) << md;
  EXPECT_NE(md.find("(mail a@ b)"), std::string::npos) << md;  // not a mention: unchanged
}
