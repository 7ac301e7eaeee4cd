#include "router/expr_parser.h"

#include <algorithm>
#include <array>
#include <vector>

#include "config/suggest.h"
#include "router/condition_factory.h"

namespace portico::router {
namespace {

constexpr std::string_view kFunctions[] = {
    "host",   "host_regex",    "path",         "path_prefix", "path_regex",    "method",
    "header", "header_prefix", "header_regex", "cookie",      "cookie_prefix", "cookie_regex",
    "query",  "query_prefix",  "query_regex",  "client_ip",   "country",       "continent",
    "device", "language",      "sni",          "sni_regex",   "client_cert"};

struct Arg {
  size_t column = 0;
  bool is_list = false;
  std::vector<std::string> values;  // one for a string
};

// Thrown inside the parser only; caught in parseExpression.
struct Fail {
  size_t pos;
  std::string message;
};

class Parser {
 public:
  Parser(std::string_view text, const ExprOptions& o) : s_(text), opts_(o) {}

  ConditionPtr parse() {
    ConditionPtr c = parseOr(0);
    skipSpace();
    if (pos_ < s_.size()) fail(pos_, "unexpected " + describeHere() + " after the expression");
    return c;
  }

 private:
  [[noreturn]] void fail(size_t pos, std::string msg) const { throw Fail{pos, std::move(msg)}; }

  void skipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool accept(std::string_view tok) {
    skipSpace();
    if (s_.substr(pos_, tok.size()) != tok) return false;
    pos_ += tok.size();
    return true;
  }

  std::string describeHere() const {
    if (pos_ >= s_.size()) return "end of expression";
    const char c = s_[pos_];
    if (s_.substr(pos_, 2) == "&&" || s_.substr(pos_, 2) == "||")
      return "'" + std::string(s_.substr(pos_, 2)) + "'";
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return "character";
    return "'" + std::string(1, c) + "'";
  }

  void expect(std::string_view tok, std::string_view what) {
    if (!accept(tok))
      fail(pos_,
           "expected '" + std::string(tok) + "' " + std::string(what) + ", got " + describeHere());
  }

  void enter(size_t depth) const {
    if (depth > opts_.max_depth)
      fail(pos_, "expression nested too deeply (more than " + std::to_string(opts_.max_depth) +
                     " levels)");
  }

  ConditionPtr parseOr(size_t depth) {
    enter(depth);
    std::vector<ConditionPtr> terms{parseAnd(depth + 1)};
    while (accept("||")) terms.push_back(parseAnd(depth + 1));
    return makeAny(std::move(terms));
  }

  ConditionPtr parseAnd(size_t depth) {
    enter(depth);
    std::vector<ConditionPtr> terms{parseUnary(depth + 1)};
    while (accept("&&")) terms.push_back(parseUnary(depth + 1));
    return makeAll(std::move(terms));
  }

  ConditionPtr parseUnary(size_t depth) {
    enter(depth);
    skipSpace();
    if (accept("!")) return makeNot(parseUnary(depth + 1));
    if (accept("(")) {
      ConditionPtr c = parseOr(depth + 1);
      expect(")", "to close '('");
      return c;
    }
    if (pos_ >= s_.size()) fail(pos_, "expected a condition, got end of expression");
    const size_t start = pos_;
    while (pos_ < s_.size() &&
           ((s_[pos_] >= 'a' && s_[pos_] <= 'z') || (s_[pos_] >= 'A' && s_[pos_] <= 'Z') ||
            s_[pos_] == '_' || (pos_ > start && s_[pos_] >= '0' && s_[pos_] <= '9')))
      ++pos_;
    if (pos_ == start) fail(pos_, "expected a condition, got " + describeHere());
    const std::string_view name = s_.substr(start, pos_ - start);
    if (name == "true") return makeAll({});
    if (name == "false") return makeAny({});
    if (std::find(std::begin(kFunctions), std::end(kFunctions), name) == std::end(kFunctions)) {
      const std::string hint = config::closestMatch(name, kFunctions);
      fail(start, "unknown function '" + std::string(name) + "'" +
                      (hint.empty() ? "" : ", did you mean '" + hint + "'?"));
    }
    expect("(", "after '" + std::string(name) + "'");
    std::vector<Arg> args;
    skipSpace();
    if (!accept(")")) {
      do {
        args.push_back(parseArg());
      } while (accept(","));
      expect(")", "after the arguments of '" + std::string(name) + "'");
    }
    return call(name, start, args);
  }

  std::string parseString() {
    skipSpace();
    if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\''))
      fail(pos_, "expected a quoted string, got " + describeHere());
    const char q = s_[pos_];
    const size_t open = pos_++;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != q) {
      char c = s_[pos_];
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) break;
        const char n = s_[pos_ + 1];
        if (n != '\\' && n != '"' && n != '\'')
          fail(pos_, "unknown escape '\\" + std::string(1, n) + "' (use \\\\, \\\" or \\')");
        out += n;
        pos_ += 2;
        continue;
      }
      out += c;
      ++pos_;
    }
    if (pos_ >= s_.size()) fail(open, "unterminated string");
    ++pos_;
    return out;
  }

  Arg parseArg() {
    skipSpace();
    Arg a;
    a.column = pos_;
    if (accept("[")) {
      a.is_list = true;
      skipSpace();
      if (!accept("]")) {
        do {
          a.values.push_back(parseString());
        } while (accept(","));
        expect("]", "to close the list");
      }
      return a;
    }
    a.values.push_back(parseString());
    return a;
  }

  // All string values of args[from..], lists flattened.
  static std::vector<std::string> flatten(const std::vector<Arg>& args, size_t from = 0) {
    std::vector<std::string> out;
    for (size_t i = from; i < args.size(); ++i)
      out.insert(out.end(), args[i].values.begin(), args[i].values.end());
    return out;
  }

  // Fails unless args are `min`..`max` single strings.
  void strings(std::string_view fn, size_t at, const std::vector<Arg>& args, size_t min,
               size_t max) const {
    if (args.size() < min || args.size() > max) {
      const std::string count =
          min == max ? std::to_string(min) : std::to_string(min) + " or " + std::to_string(max);
      fail(at, std::string(fn) + "() takes " + count + " string argument" + (max == 1 ? "" : "s") +
                   ", got " + std::to_string(args.size()));
    }
    for (const Arg& a : args)
      if (a.is_list) fail(a.column, std::string(fn) + "() takes strings here, not a list");
  }

  ConditionPtr check(ConditionPtr c, size_t at, const std::string& error) const {
    if (!c) fail(at, error);
    return c;
  }

  ConditionPtr call(std::string_view fn, size_t at, const std::vector<Arg>& args) {
    std::string err;
    const size_t arg0 = args.empty() ? at : args[0].column;
    const size_t arg1 = args.size() < 2 ? arg0 : args[1].column;
    auto suffixOp = [&](std::string_view base) {
      if (fn == base) return TextOp::Exact;
      return fn.ends_with("_regex") ? TextOp::Regex : TextOp::Prefix;
    };
    if (fn == "host" || fn == "host_regex" || fn == "sni" || fn == "sni_regex") {
      strings(fn, at, args, 1, 1);
      const TextOp op = fn.ends_with("_regex") ? TextOp::Regex : TextOp::Exact;
      return check(fn.starts_with("host") ? makeHost(args[0].values[0], op, &err)
                                          : makeSni(args[0].values[0], op, &err),
                   arg0, err);
    }
    if (fn.starts_with("path")) {
      strings(fn, at, args, 1, 1);
      return check(makePath(args[0].values[0], suffixOp("path"), &err), arg0, err);
    }
    if (fn.starts_with("header") || fn.starts_with("cookie") || fn.starts_with("query")) {
      const std::string_view base = fn.substr(0, fn.find('_'));
      const TextOp op = suffixOp(base);
      const bool plain = op == TextOp::Exact;
      strings(fn, at, args, plain ? 1 : 2, 2);
      const Condition::Kind kind = base == "header"   ? Condition::Kind::Header
                                   : base == "cookie" ? Condition::Kind::Cookie
                                                      : Condition::Kind::Query;
      const TextOp real = plain && args.size() == 1 ? TextOp::Present : op;
      const std::string value = args.size() > 1 ? args[1].values[0] : "";
      ConditionPtr c = makeField(kind, args[0].values[0], real, value, &err);
      return check(c, err.starts_with("invalid name") ? arg0 : arg1, err);
    }
    if (fn == "client_cert") {
      strings(fn, at, args, 0, 0);
      return makeClientCert();
    }
    if (fn == "language") {
      if (args.empty() || args.size() > 2)
        fail(at,
             "language() takes the wanted language(s) and optionally a list of available "
             "ones, e.g. language(\"fr\", [\"en\", \"fr\"])");
      std::vector<std::string> avail =
          args.size() > 1 ? args[1].values : std::vector<std::string>{};
      return check(makeLanguage(args[0].values, avail, &err), arg0, err);
    }
    // Variadic: method, client_ip, country, continent, device.
    const std::vector<std::string> values = flatten(args);
    if (values.empty()) fail(at, std::string(fn) + "() needs at least one argument");
    ConditionPtr c;
    if (fn == "method") c = makeMethods(values, &err);
    if (fn == "client_ip") c = makeClientIp(values, &err);
    if (fn == "country") c = makeGeo(Condition::Kind::Country, values, opts_.geo, &err);
    if (fn == "continent") c = makeGeo(Condition::Kind::Continent, values, opts_.geo, &err);
    if (fn == "device") c = makeDevice(values, &err);
    if (!c) {
      // Point at the offending argument when the message quotes it.
      for (const Arg& a : args)
        for (const std::string& v : a.values)
          if (!v.empty() && err.find("'" + v + "'") != std::string::npos) fail(a.column, err);
      fail(fn == "country" || fn == "continent" ? at : arg0, err);
    }
    return c;
  }

  std::string_view s_;
  const ExprOptions& opts_;
  size_t pos_ = 0;
};

}  // namespace

ConditionPtr parseExpression(std::string_view text, const ExprOptions& options, ExprError* error) {
  try {
    Parser p(text, options);
    return p.parse();
  } catch (const Fail& f) {
    if (error) {
      error->column = f.pos + 1;
      error->message = f.message;
    }
    return nullptr;
  }
}

}  // namespace portico::router
