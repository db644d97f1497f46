// uuid.parse: the fields of a UUID as OPA reports them (version, variant and, for the time-based
// versions 1 and 2, time, clock sequence and node), after the text forms Go's uuid.Parse reads.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "base/strings.h"
#include "runtime/opa/builtins_internal.h"

namespace kw::runtime::opa::internal {
namespace {

using Uuid = std::array<std::uint8_t, 16>;

// The forms uuid.Parse takes: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, the same in braces or
// after "urn:uuid:" (any case), and the 32 digits alone.
std::optional<Uuid> ParseUuid(std::string_view text) {
  if (text.size() == 45) {
    if (AsciiLower(text.substr(0, 9)) != "urn:uuid:") return std::nullopt;
    text.remove_prefix(9);
  } else if (text.size() == 38) {
    if (text.front() != '{' || text.back() != '}') return std::nullopt;
    text = text.substr(1, 36);
  }
  std::string digits;
  if (text.size() == 36) {
    if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') {
      return std::nullopt;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (i != 8 && i != 13 && i != 18 && i != 23) digits.push_back(text[i]);
    }
  } else if (text.size() == 32) {
    digits = text;
  } else {
    return std::nullopt;
  }
  Uuid uuid;
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    int hi = HexValue(digits[2 * i]);
    int lo = HexValue(digits[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    uuid[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return uuid;
}

std::string_view VariantName(std::uint8_t b) {
  if ((b & 0xc0) == 0x80) return "RFC4122";
  if ((b & 0xe0) == 0xc0) return "Microsoft";
  if ((b & 0xe0) == 0xe0) return "Future";
  return "Reserved";
}

// The UUID's timestamp (100 ns ticks since 1582-10-15) as Unix nanoseconds, wrapping around
// int64 as Go's time.UnixNano does for dates it cannot represent.
std::int64_t UnixNanos(const Uuid& u) {
  std::uint64_t ticks = std::uint64_t{u[0]} << 24 | std::uint64_t{u[1]} << 16 |
                        std::uint64_t{u[2]} << 8 | u[3];
  ticks |= (std::uint64_t{u[4]} << 8 | u[5]) << 32;
  ticks |= (std::uint64_t{u[6] & 0x0fu} << 8 | u[7]) << 48;
  constexpr std::uint64_t kTicksTo1970 = 122192928000000000;
  return static_cast<std::int64_t>((ticks - kTicksTo1970) * 100);
}

std::string NodeId(const Uuid& u) {
  std::string out;
  for (std::size_t i = 10; i < 16; ++i) {
    if (i > 10) out.push_back('-');
    out += HexText(std::string_view(reinterpret_cast<const char*>(&u[i]), 1));
  }
  return out;
}

// The kind of MAC address the node id would be: its first byte's locally-administered and
// multicast bits.
std::string MacVariables(std::uint8_t first) {
  std::string out = first & 0b10 ? "local" : "global";
  out += first & 0b01 ? ":multicast" : ":unicast";
  return out;
}

std::string DomainName(std::uint8_t domain) {
  switch (domain) {
    case 0: return "Person";
    case 1: return "Group";
    case 2: return "Org";
    default: return "Domain" + std::to_string(domain);
  }
}

Result<json::value> UuidParse(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "uuid.parse";
  KW_TRY(CheckArity(kName, args, 1));
  KW_ASSIGN_OR_RETURN(std::string_view text, StringOperand(kName, args, 1));
  std::optional<Uuid> uuid = ParseUuid(text);
  if (!uuid) return std::unexpected(UndefinedResult());  // OPA: undefined, not an error
  const Uuid& u = *uuid;
  const int version = u[6] >> 4;
  json::object out;
  out["version"] = version;
  out["variant"] = VariantName(u[8]);
  if (version == 1 || version == 2) {
    out["time"] = UnixNanos(u);
    out["nodeid"] = NodeId(u);
    out["macvariables"] = MacVariables(u[10]);
    out["clocksequence"] = (u[8] << 8 | u[9]) & 0x3fff;
    if (version == 2) {
      out["id"] = std::int64_t{u[0]} << 24 | std::int64_t{u[1]} << 16 | std::int64_t{u[2]} << 8 | u[3];
      out["domain"] = DomainName(u[9]);
    }
  }
  return SortedKeys(json::value(std::move(out)));  // as OPA prints an object
}

constexpr BuiltinEntry kBuiltins[] = {
    {"uuid.parse", UuidParse},
};

}  // namespace

std::span<const BuiltinEntry> UuidBuiltins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
