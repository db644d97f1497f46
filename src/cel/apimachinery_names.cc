// apimachinery's name validators: see apimachinery_names.h.
#include "cel/apimachinery_names.h"

#include <cstddef>
#include <initializer_list>

namespace kw::cel::names {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || IsDigit(c); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// `s` is non-empty, starts with a character `first` accepts, ends with one `last` accepts, and
// has only characters `inner` accepts between them (the shape of every name regex below).
bool Shaped(std::string_view s, bool (*first)(char), bool (*inner)(char), bool (*last)(char)) {
  if (s.empty() || !first(s.front()) || !last(s.back())) return false;
  for (char c : s.substr(1))
    if (!inner(c)) return false;
  return true;
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool IsDns1123Label(std::string_view s) {
  return Shaped(s, IsLowerAlnum, [](char c) { return IsLowerAlnum(c) || c == '-'; }, IsLowerAlnum);
}
// Labels joined by dots.
bool IsDns1123Subdomain(std::string_view s) {
  for (;;) {
    auto dot = s.find('.');
    if (!IsDns1123Label(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}
// [a-z]([-a-z0-9]*[a-z0-9])?
bool IsDns1035Label(std::string_view s) {
  return Shaped(s, [](char c) { return c >= 'a' && c <= 'z'; },
                [](char c) { return IsLowerAlnum(c) || c == '-'; }, IsLowerAlnum);
}
// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool IsQualifiedNamePart(std::string_view s) {
  return Shaped(s, IsAlnum, [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; }, IsAlnum);
}

// apimachinery's RegexError.
std::string RegexError(std::string_view message, std::string_view regex,
                       std::initializer_list<std::string_view> examples) {
  std::string out(message);
  out += " (e.g. ";
  bool first = true;
  for (std::string_view e : examples) {
    if (!first) out += " or ";
    first = false;
    out += "'" + std::string(e) + "', ";
  }
  return out + "regex used for validation is '" + std::string(regex) + "')";
}
std::string MaxLenError(std::size_t n) { return "must be no more than " + std::to_string(n) + " characters"; }

constexpr std::string_view kLabelRegex = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kSubdomainRegex = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kQualifiedNameRegex = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kQualifiedNameMessage =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

// apimachinery's usual pair of checks: the length, then the regex (reported with `message`).
Problems LengthAndShape(std::string_view s, std::size_t max, bool matches, std::string_view message,
                        std::string_view regex, std::initializer_list<std::string_view> examples) {
  Problems out;
  if (s.size() > max) out.push_back(MaxLenError(max));
  if (!matches) out.push_back(RegexError(message, regex, examples));
  return out;
}

}  // namespace

Problems Dns1123Label(std::string_view s) {
  Problems out;
  if (s.size() > 63) out.push_back(MaxLenError(63));
  if (IsDns1123Label(s)) return out;
  // A valid subdomain that is not a label (its length is already reported) has dots.
  if (IsDns1123Subdomain(s)) {
    out.push_back("must not contain dots");
  } else {
    out.push_back(RegexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
                             "'-', and must start and end with an alphanumeric character",
                             kLabelRegex, {"my-name", "123-abc"}));
  }
  return out;
}

Problems Dns1123Subdomain(std::string_view s) {
  return LengthAndShape(s, 253, IsDns1123Subdomain(s),
                        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                        "'.', and must start and end with an alphanumeric character",
                        kSubdomainRegex, {"example.com"});
}

Problems Dns1035Label(std::string_view s) {
  return LengthAndShape(s, 63, IsDns1035Label(s),
                        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                        "alphabetic character, and end with an alphanumeric character",
                        "[a-z]([-a-z0-9]*[a-z0-9])?", {"my-name", "abc-123"});
}

Problems QualifiedName(std::string_view s) {
  Problems out;
  std::string_view name = s;
  if (auto slash = s.find('/'); slash != std::string_view::npos) {
    if (s.find('/', slash + 1) != std::string_view::npos) {
      out.push_back("a qualified name " +
                    RegexError(kQualifiedNameMessage, kQualifiedNameRegex, {"MyName", "my.name", "123-abc"}) +
                    " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return out;
    }
    std::string_view prefix = s.substr(0, slash);
    name = s.substr(slash + 1);
    if (prefix.empty()) out.push_back("prefix part must be non-empty");
    for (std::string& p : prefix.empty() ? Problems{} : Dns1123Subdomain(prefix)) out.push_back("prefix part " + p);
  }
  if (name.empty()) {
    out.push_back("name part must be non-empty");
  } else if (name.size() > 63) {
    out.push_back("name part " + MaxLenError(63));
  }
  if (!IsQualifiedNamePart(name))
    out.push_back("name part " + RegexError(kQualifiedNameMessage, kQualifiedNameRegex, {"MyName", "my.name", "123-abc"}));
  return out;
}

Problems LabelValue(std::string_view s) {
  return LengthAndShape(s, 63, s.empty() || IsQualifiedNamePart(s),
                        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                        "'.', and must start and end with an alphanumeric character",
                        "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", {"MyValue", "my_value", "12345"});
}

}  // namespace kw::cel::names
