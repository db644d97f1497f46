// Kubernetes' semver library (k8s.io/apiserver library.SemverLib, version 0): isSemver,
// semver(), isGreaterThan, isLessThan, compareTo, major, minor, patch; type kubernetes.Semver.
// Versions parse as blang/semver's strict Parse does (MAJOR.MINOR.PATCH[-pre][+build], no
// leading zeroes, 64-bit numbers), with its error texts; they compare by precedence (build
// metadata ignored, as in equality).
#include <charconv>
#include <memory>

#include "cel/libraries.h"

namespace kw::cel {
namespace {

using Args = std::span<const Value>;
using K = Kind;

constexpr std::string_view kSemverType = "kubernetes.Semver";

struct Identifier {
  bool numeric = false;
  std::uint64_t number = 0;
  std::string text;
};

struct Version {
  std::uint64_t major = 0, minor = 0, patch = 0;
  std::vector<Identifier> pre;
  std::string text;
};

bool Only(std::string_view s, bool alphanumeric) {
  for (char c : s) {
    bool digit = c >= '0' && c <= '9';
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!digit && !(alphanumeric && letter)) return false;
  }
  return true;
}
std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Go's strconv.ParseUint(s, 10, 64), with its error texts.
std::expected<std::uint64_t, std::string> ParseUint(std::string_view s) {
  std::uint64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || ec == std::errc::invalid_argument || end != s.data() + s.size())
    return std::unexpected("strconv.ParseUint: parsing " + Quoted(s) + ": invalid syntax");
  if (ec == std::errc::result_out_of_range)
    return std::unexpected("strconv.ParseUint: parsing " + Quoted(s) + ": value out of range");
  return out;
}

// A version number (major, minor or patch).
std::expected<std::uint64_t, std::string> Number(std::string_view s, std::string_view which, std::string_view capital) {
  if (!Only(s, false))
    return std::unexpected("Invalid character(s) found in " + std::string(which) + " number " + Quoted(s));
  if (s.size() > 1 && s[0] == '0')
    return std::unexpected(std::string(capital) + " number must not contain leading zeroes " + Quoted(s));
  return ParseUint(s);
}

std::vector<std::string_view> Split(std::string_view s, char by) {
  std::vector<std::string_view> out;
  for (;;) {
    auto at = s.find(by);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

std::expected<Version, std::string> Parse(std::string_view s) {
  if (s.empty()) return std::unexpected("Version string empty");
  auto first = s.find('.');
  auto second = first == std::string_view::npos ? first : s.find('.', first + 1);
  if (second == std::string_view::npos) return std::unexpected("No Major.Minor.Patch elements found");
  Version v;
  v.text = std::string(s);
  auto major = Number(s.substr(0, first), "major", "Major");
  if (!major) return std::unexpected(major.error());
  auto minor = Number(s.substr(first + 1, second - first - 1), "minor", "Minor");
  if (!minor) return std::unexpected(minor.error());
  v.major = *major;
  v.minor = *minor;
  std::string_view patch = s.substr(second + 1);
  std::vector<std::string_view> build, pre;
  if (auto plus = patch.find('+'); plus != std::string_view::npos) {
    build = Split(patch.substr(plus + 1), '.');
    patch = patch.substr(0, plus);
  }
  if (auto dash = patch.find('-'); dash != std::string_view::npos) {
    pre = Split(patch.substr(dash + 1), '.');
    patch = patch.substr(0, dash);
  }
  auto patch_number = Number(patch, "patch", "Patch");
  if (!patch_number) return std::unexpected(patch_number.error());
  v.patch = *patch_number;
  for (std::string_view p : pre) {
    if (p.empty()) return std::unexpected("Prerelease is empty");
    Identifier id;
    if (Only(p, false)) {
      if (p.size() > 1 && p[0] == '0')
        return std::unexpected("Numeric PreRelease version must not contain leading zeroes " + Quoted(p));
      auto n = ParseUint(p);
      if (!n) return std::unexpected(n.error());
      id.numeric = true;
      id.number = *n;
    } else if (Only(p, true)) {
      id.text = std::string(p);
    } else {
      return std::unexpected("Invalid character(s) found in prerelease " + Quoted(p));
    }
    v.pre.push_back(std::move(id));
  }
  for (std::string_view b : build) {
    if (b.empty()) return std::unexpected("Build meta data is empty");
    if (!Only(b, true)) return std::unexpected("Invalid character(s) found in build meta data " + Quoted(b));
  }
  return v;
}

int Sign(auto a, auto b) { return a == b ? 0 : (a < b ? -1 : 1); }

// Semantic versioning's precedence: numbers, then a version without pre-release identifiers
// above one with them, then the identifiers in order (numeric below alphanumeric).
int Compare(const Version& a, const Version& b) {
  if (int c = Sign(a.major, b.major)) return c;
  if (int c = Sign(a.minor, b.minor)) return c;
  if (int c = Sign(a.patch, b.patch)) return c;
  if (a.pre.empty() || b.pre.empty()) return Sign(b.pre.size(), a.pre.size());
  for (std::size_t i = 0; i < a.pre.size() && i < b.pre.size(); ++i) {
    const Identifier &x = a.pre[i], &y = b.pre[i];
    int c = x.numeric && y.numeric ? Sign(x.number, y.number)
            : x.numeric != y.numeric ? (x.numeric ? -1 : 1)
                                      : Sign(x.text.compare(y.text), 0);
    if (c) return c;
  }
  return Sign(a.pre.size(), b.pre.size());
}

class SemverValue final : public OpaqueValue {
 public:
  explicit SemverValue(Version v) : version(std::move(v)) {}
  std::string_view TypeName() const override { return kSemverType; }
  bool Equals(const OpaqueValue& o) const override {
    return o.TypeName() == kSemverType && Compare(static_cast<const SemverValue&>(o).version, version) == 0;
  }
  std::string DebugString() const override { return "semver(\"" + version.text + "\")"; }
  Version version;
};

const Version& VersionOf(const Value& v) { return static_cast<const SemverValue&>(v.opaque()).version; }

}  // namespace

void RegisterSemverLibrary(FunctionRegistry& r) {
  AddOverload(r, "isSemver", false, "(string) -> bool",
              [](Args a, CallContext&) { return Value::Bool(Parse(a[0].text()).has_value()); });
  AddOverload(r, "semver", false, "(string) -> kubernetes.Semver", [](Args a, CallContext&) {
    auto v = Parse(a[0].text());
    return v ? Value::Opaque(std::make_shared<const SemverValue>(std::move(*v))) : Value::Error(v.error());
  });
  // The signatures' opaque type makes sure both arguments are versions.
  auto compare = [](bool (*f)(int)) {
    return [f](Args a, CallContext&) { return Value::Bool(f(Compare(VersionOf(a[0]), VersionOf(a[1])))); };
  };
  const char* binary = "(kubernetes.Semver, kubernetes.Semver) -> bool";
  AddOverload(r, "isGreaterThan", true, binary, compare([](int c) { return c > 0; }));
  AddOverload(r, "isLessThan", true, binary, compare([](int c) { return c < 0; }));
  AddOverload(r, "compareTo", true, "(kubernetes.Semver, kubernetes.Semver) -> int", [](Args a, CallContext&) {
    return Value::Int(Compare(VersionOf(a[0]), VersionOf(a[1])));
  });
  AddOverload(r, "major", true, "(kubernetes.Semver) -> int",
              [](Args a, CallContext&) { return Value::Int(static_cast<std::int64_t>(VersionOf(a[0]).major)); });
  AddOverload(r, "minor", true, "(kubernetes.Semver) -> int",
              [](Args a, CallContext&) { return Value::Int(static_cast<std::int64_t>(VersionOf(a[0]).minor)); });
  AddOverload(r, "patch", true, "(kubernetes.Semver) -> int",
              [](Args a, CallContext&) { return Value::Int(static_cast<std::int64_t>(VersionOf(a[0]).patch)); });
}

}  // namespace kw::cel
