// Kyverno's x509_decode: Go 1.20's pem.Decode and x509.ParseCertificate on a strict DER reader,
// producing the JSON shape of x509.Certificate (see x509_decode.h). The structure is fixed, so
// nesting is as deep as a certificate's and no deeper.
//
// Where this differs from Go (certificates no CA issues):
// - SAN URIs are split the way url.Parse splits them, but RawPath and RawFragment are always ""
//   and hosts are checked only by x509's domain rule, not by url.Parse's host grammar;
// - rfc822Name constraints with an '@' are not checked against RFC 2821's mailbox grammar;
// - an ECDSA point is checked for its size and form, not for lying on the curve.
#include "x509_decode.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <optional>
#include <vector>

#include <kubewarden/decimal.h>

#include "cel/text.h"
#include "go_time.h"
#include "jmespath_functions.h"

namespace kyverno {
namespace {

// ---- DER as Go's cryptobyte reads it ----

struct Element {
  unsigned char tag = 0;
  std::string_view whole, contents;
};

// Elements off the front of a byte string: one-byte tags, definite minimal lengths of at most
// four bytes, contents within what is left.
class Der {
 public:
  explicit Der(std::string_view in = {}) : in_(in) {}
  bool empty() const { return in_.empty(); }
  std::string_view rest() const { return in_; }
  bool Peek(unsigned char tag) const { return !in_.empty() && static_cast<unsigned char>(in_[0]) == tag; }

  bool ReadAny(Element* out) {
    if (in_.size() < 2 || (in_[0] & 0x1f) == 0x1f) return false;
    std::size_t length = static_cast<unsigned char>(in_[1]);
    std::size_t header = 2;
    if (length & 0x80) {
      std::size_t count = length & 0x7f;
      if (count == 0 || count > 4 || in_.size() < 2 + count || in_[2] == 0) return false;
      length = 0;
      for (std::size_t i = 0; i < count; ++i) length = length << 8 | static_cast<unsigned char>(in_[2 + i]);
      if (length < 128) return false;
      header += count;
    }
    if (in_.size() - header < length) return false;
    *out = {static_cast<unsigned char>(in_[0]), in_.substr(0, header + length), in_.substr(header, length)};
    in_.remove_prefix(header + length);
    return true;
  }
  // The next element, which must have `tag`.
  bool Read(unsigned char tag, Element* out) { return Peek(tag) && ReadAny(out); }
  bool Read(unsigned char tag, std::string_view* contents) {
    Element e;
    if (!Read(tag, &e)) return false;
    *contents = e.contents;
    return true;
  }
  bool Read(unsigned char tag, Der* contents) {
    std::string_view c;
    if (!Read(tag, &c)) return false;
    *contents = Der(c);
    return true;
  }
  // An element that may be absent; when present it must be well formed.
  bool ReadOptional(unsigned char tag, std::string_view* contents, bool* present) {
    *present = Peek(tag);
    return !*present || Read(tag, contents);
  }

 private:
  std::string_view in_;
};

enum Tag : unsigned char {
  kBoolean = 0x01, kInteger = 0x02, kBitString = 0x03, kOctetString = 0x04, kOid = 0x06,
  kUtf8String = 0x0c, kNumericString = 0x12, kPrintableString = 0x13, kT61String = 0x14,
  kIa5String = 0x16, kUtcTime = 0x17, kGeneralizedTime = 0x18, kBmpString = 0x1e,
  kSequence = 0x30, kSet = 0x31,
};
constexpr unsigned char Context(int n) { return static_cast<unsigned char>(0x80 | n); }
constexpr unsigned char ContextConstructed(int n) { return static_cast<unsigned char>(0xa0 | n); }

// INTEGER contents: non-empty and minimal, as cryptobyte requires.
bool ReadInteger(Der& d, std::string_view* out) {
  if (!d.Read(kInteger, out) || out->empty()) return false;
  if (out->size() == 1) return true;
  auto b0 = static_cast<unsigned char>((*out)[0]), b1 = static_cast<unsigned char>((*out)[1]);
  return !(b0 == 0 && !(b1 & 0x80)) && !(b0 == 0xff && (b1 & 0x80));
}

bool ReadInt64(Der& d, std::int64_t* out) {
  std::string_view b;
  if (!ReadInteger(d, &b) || b.size() > 8) return false;
  std::uint64_t v = (b[0] & 0x80) ? ~std::uint64_t{0} : 0;
  for (char c : b) v = v << 8 | static_cast<unsigned char>(c);
  *out = static_cast<std::int64_t>(v);
  return true;
}

// big.Int.Sign() of INTEGER contents.
int Sign(std::string_view b) { return (b[0] & 0x80) ? -1 : b.find_first_not_of('\0') == std::string_view::npos ? 0 : 1; }

bool ReadBoolean(Der& d, bool* out) {
  std::string_view b;
  if (!d.Read(kBoolean, &b) || b.size() != 1 || (b[0] != 0 && b[0] != '\xff')) return false;
  *out = b[0] != 0;
  return true;
}

// An asn1.BitString: the bytes and the number of unused bits, which must be zero bits.
struct BitString {
  std::string_view bytes;
  int padding = 0;
  bool At(int i) const {
    return i >= 0 && i < static_cast<int>(bytes.size()) * 8 - padding && ((bytes[i / 8] >> (7 - i % 8)) & 1);
  }
  // asn1.BitString.RightAlign.
  std::string RightAlign() const {
    std::string out(bytes);
    if (padding == 0 || out.empty()) return out;
    for (std::size_t i = out.size(); i-- > 0;) {
      auto prev = i > 0 ? static_cast<unsigned char>(bytes[i - 1]) : 0;
      out[i] = static_cast<char>((static_cast<unsigned char>(bytes[i]) >> padding) | (prev << (8 - padding)));
    }
    return out;
  }
};

bool ReadBitString(Der& d, BitString* out) {
  std::string_view b;
  if (!d.Read(kBitString, &b) || b.empty()) return false;
  int padding = static_cast<unsigned char>(b[0]);
  b.remove_prefix(1);
  if (padding > 7 || (b.empty() && padding != 0) || (!b.empty() && (b.back() & ((1 << padding) - 1)) != 0)) return false;
  *out = {b, padding};
  return true;
}

// OBJECT IDENTIFIER contents as cryptobyte accepts them (minimal arcs below 2^31); appends the
// arcs to `arcs` when given. Valid encodings are canonical, so OIDs compare as their bytes.
bool OidArcs(std::string_view b, Array* arcs) {
  if (b.empty()) return false;
  for (std::size_t i = 0; i < b.size();) {
    std::uint32_t v = 0;
    for (int k = 0;; ++k) {
      if (i >= b.size() || k == 5 || v >= (1u << 24) || (k == 0 && b[i] == '\x80')) return false;
      auto c = static_cast<unsigned char>(b[i++]);
      v = v << 7 | (c & 0x7f);
      if (!(c & 0x80)) break;
    }
    if (arcs == nullptr) continue;
    if (arcs->empty()) {
      arcs->push_back(Value(static_cast<double>(v < 80 ? v / 40 : 2)));
      arcs->push_back(Value(static_cast<double>(v < 80 ? v % 40 : v - 80)));
    } else {
      arcs->push_back(Value(static_cast<double>(v)));
    }
  }
  return true;
}

bool ReadOid(Der& d, std::string_view* out) { return d.Read(kOid, out) && OidArcs(*out, nullptr); }

Value OidValue(std::string_view b) {
  Array arcs;
  OidArcs(b, &arcs);
  return Value(std::move(arcs));
}

// ---- Go's JSON encodings ----

// The length of the UTF-8 sequence starting `s`, 0 when Go's utf8 rejects it.
std::size_t RuneLength(std::string_view s) {
  auto b = static_cast<unsigned char>(s[0]);
  if (b < 0x80) return 1;
  std::size_t n = b >= 0xf5 ? 0 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 0;
  if (n == 0 || s.size() < n) return 0;
  unsigned char lo = b == 0xe0 ? 0xa0 : b == 0xf0 ? 0x90 : 0x80;
  unsigned char hi = b == 0xed ? 0x9f : b == 0xf4 ? 0x8f : 0xbf;
  for (std::size_t i = 1; i < n; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xbf)) return 0;
  }
  return n;
}

bool IsUtf8(std::string_view s) {
  for (std::size_t i = 0, n; i < s.size(); i += n) {
    if ((n = RuneLength(s.substr(i))) == 0) return false;
  }
  return true;
}

// A Go string as encoding/json writes it and reads it back: each invalid byte becomes U+FFFD.
Value Text(std::string_view s) {
  if (IsUtf8(s)) return Value(s);
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = RuneLength(s.substr(i));
    out.append(n == 0 ? "\xef\xbf\xbd" : s.substr(i, n));
    i += n == 0 ? 1 : n;
  }
  return Value(std::move(out));
}

Value Bytes(std::string_view b) { return Value(kw::cel::Base64Encode(b)); }

// An object from its members (out of line: the many literal objects would each inline it).
[[gnu::noinline]] Value Fields(std::initializer_list<std::pair<const char*, Value>> members) {
  Object object;
  for (const auto& [name, value] : members) object.emplace(name, value);
  return Value(std::move(object));
}

// A Go slice: nil (null) when nothing was appended.
Value Slice(Array a) { return a.empty() ? Value() : Value(std::move(a)); }

// big.Int.String() of INTEGER contents (two's complement, big-endian).
std::string Decimal(std::string_view b) {
  bool negative = b[0] & 0x80;
  std::vector<std::uint32_t> limbs((b.size() + 3) / 4);  // most significant first
  for (std::size_t i = 0; i < b.size(); ++i) {
    auto byte = static_cast<unsigned char>(b[b.size() - 1 - i]);
    limbs[limbs.size() - 1 - i / 4] |= std::uint32_t{static_cast<unsigned char>(negative ? ~byte : byte)} << (8 * (i % 4));
  }
  if (negative) {  // two's complement: the magnitude is the inverse plus one
    for (std::size_t i = limbs.size(); i-- > 0 && ++limbs[i] == 0;) {
    }
  }
  std::string digits;
  for (bool last = false; !last;) {
    std::uint64_t rest = 0;
    last = true;
    for (std::uint32_t& limb : limbs) {
      std::uint64_t current = rest << 32 | limb;
      limb = static_cast<std::uint32_t>(current / 1000000000);
      rest = current % 1000000000;
      last = last && limb == 0;
    }
    for (int k = 0; k < 9 && (rest != 0 || !last); ++k, rest /= 10) digits += static_cast<char>('0' + rest % 10);
  }
  if (digits.empty()) digits = "0";
  if (negative) digits += '-';
  return {digits.rbegin(), digits.rend()};
}

// ---- text checks of crypto/x509 ----

bool IsIa5(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// x509's domainToReverseLabels: no empty label, printable ASCII only ("" is fine).
bool IsDomain(std::string_view d) {
  if (d.empty()) return true;
  if (d.front() == '.' || d.back() == '.' || d.find("..") != std::string_view::npos) return false;
  for (char c : d) {
    if (c != '.' && (c < 33 || c > 126)) return false;
  }
  return true;
}

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

// net.IP.String() of a 4- or 16-byte address.
std::string IpText(std::string_view ip) {
  if (ip.size() == 16 && ip.substr(0, 12) == std::string_view("\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) ip.remove_prefix(12);
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(ip[i]); };
  std::string out;
  if (ip.size() == 4) {
    for (std::size_t i = 0; i < 4; ++i) out += (i > 0 ? "." : "") + std::to_string(byte(i));
    return out;
  }
  return kw::cel::FormatIPv6(ip);
}

// Go's %q of a value in an error (printable ASCII kept, other bytes as \xHH).
std::string Quote(std::string_view s) { return GoTimeQuote(s); }

// ---- the certificate ----

class CertificateReader {
 public:
  // Reads `der`; then certificate() is the result, else error() says why.
  bool Read(std::string_view der);
  Value certificate() { return Value(std::move(out_)); }
  const std::string& error() const { return error_; }

 private:
  // One out-of-line place for the many error exits and field writes keeps the module small.
  [[gnu::noinline]] bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  [[gnu::noinline]] bool Fail(const char* message) { return Fail(std::string(message)); }
  [[gnu::noinline]] Value& Field(const char* name) { return out_[name]; }
  // A big.Int field after json.Unmarshal into interface{}: a float64, and an error when the
  // number is beyond float64's range.
  Value Number(std::string_view integer);
  bool ReadName(std::string_view der, Value* out);
  bool ReadTime(Der& d, GoTime* out);
  bool ReadPublicKey(std::string_view algorithm, std::string_view params, const BitString& key);
  int SignatureAlgorithm(std::string_view algorithm, std::string_view params);
  bool ReadExtension(std::string_view oid, bool critical, std::string_view value);
  bool ReadSubjectAltNames(std::string_view value, bool* unhandled);
  bool ReadUrl(std::string_view text, Value* out);
  bool ReadNameConstraints(std::string_view value, bool critical, bool* unhandled);
  bool ReadSubtrees(std::string_view der, const char* which, bool* unhandled);
  bool ReadSimpleExtension(std::uint8_t id, std::string_view value);

  std::string error_;
  std::string json_error_;  // json.Unmarshal's, reported only if the certificate parses
  Object out_;
  Array dns_, emails_, ips_, uris_, ocsp_, issuers_, crl_, ext_usage_, unknown_usage_, policies_, unhandled_;
  Object constraints_;
};

Value CertificateReader::Number(std::string_view integer) {
  if (integer.size() > kMaxIntegerBytes) {
    if (json_error_.empty()) json_error_ = "x509: integer of " + std::to_string(integer.size()) + " bytes is too large";
    return Value();
  }
  std::string text = Decimal(integer);
  // Rounded as Go's strconv.ParseFloat rounds it (the SDK's reader, not strtod: see decimal.h).
  const double d = kubewarden::ParseDecimal(text).value;
  if (std::isinf(d) && json_error_.empty()) {
    json_error_ = "json: cannot unmarshal number " + text + " into Go value of type float64";
  }
  return Value(d);
}

// parseASN1String: an attribute value of a name.
bool AttributeText(unsigned char tag, std::string_view v, std::string* out, std::string* error) {
  auto all = [&](auto ok) {
    for (char c : v) {
      if (!ok(static_cast<unsigned char>(c))) return false;
    }
    return true;
  };
  switch (tag) {
    case kT61String: break;
    case kPrintableString:
      if (!all([](unsigned char b) {
            return std::isalnum(b) || (b >= '\'' && b <= ')') || (b >= '+' && b <= '/') ||
                   std::string_view(" :=?*&").find(static_cast<char>(b)) != std::string_view::npos;
          })) {
        return *error = "invalid PrintableString", false;
      }
      break;
    case kUtf8String:
      if (!IsUtf8(v)) return *error = "invalid UTF-8 string", false;
      break;
    case kBmpString: {
      if (v.size() % 2 != 0) return *error = "invalid BMPString", false;
      if (v.size() >= 2 && v.substr(v.size() - 2) == std::string_view("\0\0", 2)) v.remove_suffix(2);
      out->clear();
      for (std::size_t i = 0; i < v.size(); i += 2) {
        std::uint32_t u = static_cast<unsigned char>(v[i]) << 8 | static_cast<unsigned char>(v[i + 1]);
        std::uint32_t next = i + 3 < v.size() ? static_cast<unsigned char>(v[i + 2]) << 8 | static_cast<unsigned char>(v[i + 3]) : 0;
        if (u >= 0xd800 && u < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
          u = 0x10000 + ((u - 0xd800) << 10) + (next - 0xdc00);
          i += 2;
        } else if (u >= 0xd800 && u < 0xe000) {
          u = 0xfffd;
        }
        kw::cel::AppendUtf8(*out, u);
      }
      return true;
    }
    case kIa5String:
      if (!IsIa5(v)) return *error = "invalid IA5String", false;
      break;
    case kNumericString:
      if (!all([](unsigned char b) { return std::isdigit(b) || b == ' '; })) return *error = "invalid NumericString", false;
      break;
    default: return *error = "unsupported string type: " + std::to_string(tag), false;
  }
  *out = std::string(v);
  return true;
}

// parseName and pkix.Name.FillFromRDNSequence.
bool CertificateReader::ReadName(std::string_view der, Value* out) {
  Der outer(der), rdns;
  if (!outer.Read(kSequence, &rdns)) return Fail("x509: invalid RDNSequence");
  // pkix.Name's list fields by the attribute 2.5.4.x they collect.
  constexpr std::pair<char, const char*> kLists[] = {{6, "Country"},   {10, "Organization"}, {11, "OrganizationalUnit"},
                                                     {7, "Locality"},  {8, "Province"},      {9, "StreetAddress"},
                                                     {17, "PostalCode"}};
  Array lists[std::size(kLists)], names;
  std::string serial, common;
  while (!rdns.empty()) {
    Der set;
    if (!rdns.Read(kSet, &set)) return Fail("x509: invalid RDNSequence");
    while (!set.empty()) {
      Der attribute;
      std::string_view type;
      Element value;
      std::string text, error;
      if (!set.Read(kSequence, &attribute)) return Fail("x509: invalid RDNSequence: invalid attribute");
      if (!ReadOid(attribute, &type)) return Fail("x509: invalid RDNSequence: invalid attribute type");
      if (!attribute.ReadAny(&value)) return Fail("x509: invalid RDNSequence: invalid attribute value");
      if (!AttributeText(value.tag, value.contents, &text, &error)) {
        return Fail("x509: invalid RDNSequence: invalid attribute value: " + error);
      }
      Value v = Text(text);
      names.push_back(Fields({{"Type", OidValue(type)}, {"Value", v}}));
      if (type.size() != 3 || type[0] != 0x55 || type[1] != 0x04) continue;  // 2.5.4.x
      if (type[2] == 3) common = v.as_string();
      if (type[2] == 5) serial = v.as_string();
      for (std::size_t i = 0; i < std::size(kLists); ++i) {
        if (kLists[i].first == type[2]) lists[i].push_back(v);
      }
    }
  }
  Object name{{"SerialNumber", Value(serial)}, {"CommonName", Value(common)}, {"Names", Slice(std::move(names))},
              {"ExtraNames", Value()}};
  for (std::size_t i = 0; i < std::size(kLists); ++i) name.emplace(kLists[i].second, Slice(std::move(lists[i])));
  *out = Value(std::move(name));
  return true;
}

// UTCTime ("060102150405Z0700", or to the minute) and GeneralizedTime ("20060102150405Z0700")
// as cryptobyte reads them: Go's time.Parse, and only texts that Format gives back unchanged.
bool ParseTimeText(std::string_view t, bool utc, GoTime* out) {
  std::size_t digits = t.find_first_not_of("0123456789");
  if (digits == std::string_view::npos || (utc ? digits != 12 && digits != 10 : digits != 14)) return false;
  std::size_t at = 0;
  auto next = [&](std::size_t n) {
    int v = 0;
    for (std::size_t end = at + n; at < end; ++at) v = v * 10 + (t[at] - '0');
    return v;
  };
  int year = next(utc ? 2 : 4);
  if (utc) year += year >= 50 ? 1900 : 2000;
  int month = next(2), day = next(2), hour = next(2), minute = next(2), second = at < digits ? next(2) : 0;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] + (month == 2 && leap) || hour > 23 ||
      minute > 59 || second > 59) {
    return false;
  }
  std::string_view zone = t.substr(digits);
  std::int32_t offset = 0;
  if (zone != "Z") {
    if (zone.size() != 5 || (zone[0] != '+' && zone[0] != '-') || zone.find_first_not_of("0123456789", 1) != std::string_view::npos) return false;
    at = digits + 1;
    int hours = next(2), minutes = next(2);
    if (hours > 24 || minutes > 59 || hours + minutes == 0) return false;
    offset = (zone[0] == '-' ? -60 : 60) * (hours * 60 + minutes);
  }
  std::int64_t seconds = kw::cel::DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  *out = GoTime{kw::cel::Instant{seconds, 0}, offset};
  return true;
}

bool CertificateReader::ReadTime(Der& d, GoTime* out) {
  std::string_view text;
  bool utc = d.Peek(kUtcTime);
  if (!utc && !d.Peek(kGeneralizedTime)) return Fail("x509: unsupported time format");
  if (!d.Read(utc ? kUtcTime : kGeneralizedTime, &text) || !ParseTimeText(text, utc, out)) {
    return Fail(utc ? "x509: malformed UTCTime" : "x509: malformed GeneralizedTime");
  }
  return true;
}

// OIDs by their DER contents.
constexpr std::string_view kRsa = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01";  // 1.2.840.113549.1.1.1
constexpr std::string_view kDsa = "\x2a\x86\x48\xce\x38\x04\x01";
constexpr std::string_view kEcdsa = "\x2a\x86\x48\xce\x3d\x02\x01";
constexpr std::string_view kEd25519 = "\x2b\x65\x70";
constexpr std::string_view kRsaPss = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a";
constexpr std::string_view kMgf1 = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x08";
constexpr std::string_view kSha2 = "\x60\x86\x48\x01\x65\x03\x04\x02";  // 2.16.840.1.101.3.4.2.x
constexpr std::string_view kNull("\x05\x00", 2);

// x509.SignatureAlgorithm values by OID.
constexpr std::pair<std::string_view, int> kSignatureAlgorithms[] = {
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x02", 1},  {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x04", 2},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05", 3},  {"\x2b\x0e\x03\x02\x1d", 3},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", 4},  {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c", 5},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d", 6},  {"\x2a\x86\x48\xce\x38\x04\x03", 7},
    {"\x60\x86\x48\x01\x65\x03\x04\x03\x02", 8},  {"\x2a\x86\x48\xce\x3d\x04\x01", 9},
    {"\x2a\x86\x48\xce\x3d\x04\x03\x02", 10},     {"\x2a\x86\x48\xce\x3d\x04\x03\x03", 11},
    {"\x2a\x86\x48\xce\x3d\x04\x03\x04", 12},     {kEd25519, 16},
};

// An AlgorithmIdentifier: the OID and the parameters' whole encoding ("" when absent); Go's
// error when malformed, nullptr otherwise.
const char* ReadAlgorithm(std::string_view contents, std::string_view* oid, std::string_view* params) {
  Der d(contents);
  Element p;
  if (!ReadOid(d, oid)) return "x509: malformed OID";
  *params = {};
  if (d.empty()) return nullptr;
  if (!d.ReadAny(&p)) return "x509: malformed parameters";
  *params = p.whole;
  return nullptr;
}

// The contents of an [n] EXPLICIT AlgorithmIdentifier inside `d`, for RSASSA-PSS parameters.
bool ReadExplicitAlgorithm(Der& d, int n, std::string_view* oid, std::string_view* params) {
  Der inner;
  std::string_view ai;
  return d.Read(ContextConstructed(n), &inner) && inner.Read(kSequence, &ai) && !ReadAlgorithm(ai, oid, params);
}

int CertificateReader::SignatureAlgorithm(std::string_view algorithm, std::string_view params) {
  if (algorithm == kEd25519 && !params.empty()) return 0;
  if (algorithm != kRsaPss) {
    for (const auto& [oid, value] : kSignatureAlgorithms) {
      if (oid == algorithm) return value;
    }
    return 0;
  }
  // PSS counts only with MGF1 over the message hash, a salt as long as the hash and the
  // default trailer.
  Der outer(params), pss, salt_der;
  std::string_view hash, hash_params, mgf, mgf_params, mgf_hash, mgf_hash_params;
  std::int64_t salt = 0, trailer_field = 1;
  if (!outer.Read(kSequence, &pss) || !ReadExplicitAlgorithm(pss, 0, &hash, &hash_params) ||
      !ReadExplicitAlgorithm(pss, 1, &mgf, &mgf_params) || !pss.Read(ContextConstructed(2), &salt_der) ||
      !ReadInt64(salt_der, &salt)) {
    return 0;
  }
  if (pss.Peek(ContextConstructed(3))) {
    Der t;
    if (!pss.Read(ContextConstructed(3), &t) || !ReadInt64(t, &trailer_field)) return 0;
  }
  Der mgf_outer(mgf_params);
  std::string_view mgf_ai;
  if (!mgf_outer.Read(kSequence, &mgf_ai) || ReadAlgorithm(mgf_ai, &mgf_hash, &mgf_hash_params)) return 0;
  if ((!hash_params.empty() && hash_params != kNull) || mgf != kMgf1 || mgf_hash != hash ||
      (!mgf_hash_params.empty() && mgf_hash_params != kNull) || trailer_field != 1 || hash.size() != kSha2.size() + 1 ||
      !hash.starts_with(kSha2)) {
    return 0;
  }
  switch (hash.back()) {
    case 1: return salt == 32 ? 13 : 0;
    case 2: return salt == 48 ? 14 : 0;
    case 3: return salt == 64 ? 15 : 0;
    default: return 0;
  }
}

// Go's parsePublicKey; an RSA key becomes Kyverno's {N: decimal text, E}.
bool CertificateReader::ReadPublicKey(std::string_view algorithm, std::string_view params, const BitString& key) {
  std::string aligned = key.RightAlign();
  Der der(aligned);
  Value& out = Field("PublicKey");
  if (algorithm == kRsa) {
    if (params != kNull) return Fail("x509: RSA key missing NULL parameters");
    Der seq;
    std::string_view n;
    std::int64_t e = 0;
    if (!der.Read(kSequence, &seq)) return Fail("x509: invalid RSA public key");
    if (!ReadInteger(seq, &n)) return Fail("x509: invalid RSA modulus");
    if (!ReadInt64(seq, &e)) return Fail("x509: invalid RSA public exponent");
    if (Sign(n) <= 0) return Fail("x509: RSA modulus is not a positive number");
    if (e <= 0) return Fail("x509: RSA public exponent is not a positive number");
    // Kyverno re-reads the key with x509.ParsePKCS1PublicKey, which refuses trailing bytes.
    if (!der.empty()) return Fail("x509: trailing data after ASN.1 of public-key");
    if (n.size() > kMaxIntegerBytes) return Fail("x509: integer of " + std::to_string(n.size()) + " bytes is too large");
    out = Fields({{"N", Value(Decimal(n))}, {"E", Value(static_cast<double>(e))}});
    return true;
  }
  if (algorithm == kEcdsa) {
    Der p(params);
    std::string_view curve;
    if (!ReadOid(p, &curve)) return Fail("x509: invalid ECDSA parameters");
    // P-224, P-256, P-384, P-521 and their coordinates' sizes.
    constexpr std::pair<std::string_view, std::size_t> kCurves[] = {
        {"\x2b\x81\x04\x00\x21", 28}, {"\x2a\x86\x48\xce\x3d\x03\x01\x07", 32},
        {"\x2b\x81\x04\x00\x22", 48}, {"\x2b\x81\x04\x00\x23", 66}};
    std::size_t size = 0;
    for (const auto& [oid, bytes] : kCurves) size = oid == curve ? bytes : size;
    if (size == 0) return Fail("x509: unsupported elliptic curve");
    if (aligned.size() != 1 + 2 * size || aligned[0] != 4) return Fail("x509: failed to unmarshal elliptic curve point");
    // SetBytes: unsigned coordinates, so a leading zero keeps them positive.
    std::string x = '\0' + aligned.substr(1, size), y = '\0' + aligned.substr(1 + size);
    out = Fields({{"Curve", Fields({})}, {"X", Number(x)}, {"Y", Number(y)}});
    return true;
  }
  if (algorithm == kEd25519) {
    if (!params.empty()) return Fail("x509: Ed25519 key encoded with illegal parameters");
    if (aligned.size() != 32) return Fail("x509: wrong Ed25519 public key size");
    out = Bytes(aligned);
    return true;
  }
  if (algorithm == kDsa) {
    std::string_view y, p, q, g;
    Der outer(params), seq;
    if (!ReadInteger(der, &y)) return Fail("x509: invalid DSA public key");
    if (!outer.Read(kSequence, &seq) || !ReadInteger(seq, &p) || !ReadInteger(seq, &q) || !ReadInteger(seq, &g)) {
      return Fail("x509: invalid DSA parameters");
    }
    if (Sign(y) <= 0 || Sign(p) <= 0 || Sign(q) <= 0 || Sign(g) <= 0) return Fail("x509: zero or negative DSA parameter");
    Value parameters = Fields({{"P", Number(p)}, {"Q", Number(q)}, {"G", Number(g)}});
    out = Fields({{"Parameters", parameters}, {"Y", Number(y)}});
    return true;
  }
  out = Value();
  return true;
}

int PublicKeyAlgorithm(std::string_view oid) {
  return oid == kRsa ? 1 : oid == kDsa ? 2 : oid == kEcdsa ? 3 : oid == kEd25519 ? 4 : 0;
}

// The %XX escapes of a URL part; false on a malformed escape (`bad` is Go's quoted piece).
bool Unescape(std::string_view s, std::string* out, std::string* bad) {
  out->clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      *out += s[i];
      continue;
    }
    int high = i + 1 < s.size() ? HexValue(s[i + 1]) : -1, low = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
    if (high < 0 || low < 0) {
      *bad = std::string(s.substr(i, 3));
      return false;
    }
    *out += static_cast<char>(high << 4 | low);
    i += 2;
  }
  return true;
}

// A SAN URI as url.Parse splits it into a url.URL (see the file comment for what is simplified).
bool CertificateReader::ReadUrl(std::string_view text, Value* out) {
  auto fail = [&](const std::string& why) {
    return Fail("x509: cannot parse URI " + Quote(text) + ": parse " + Quote(text) + ": " + why);
  };
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return fail("net/url: invalid control character in URL");
  }
  std::string_view rest = text, fragment_raw;
  if (std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
    fragment_raw = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
  }
  std::string scheme, host, path, fragment, bad;
  bool force_query = false, omit_host = false, has_user = false;
  std::string_view opaque, query;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (std::isalpha(static_cast<unsigned char>(c))) continue;
    if (c == ':') {
      if (i == 0) return fail("missing protocol scheme");
      for (char s : rest.substr(0, i)) scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(s)));
      rest.remove_prefix(i + 1);
      break;
    }
    if (i == 0 || !(std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) break;
  }
  if (rest.ends_with('?') && rest.find('?') == rest.size() - 1) {
    force_query = true;
    rest.remove_suffix(1);
  } else if (std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (!rest.starts_with('/') && !scheme.empty()) {
    opaque = rest;
    rest = {};
  } else if (!rest.starts_with('/') && rest.substr(0, rest.find('/')).find(':') != std::string_view::npos) {
    return fail("first path segment in URL cannot contain colon");
  }
  if ((!scheme.empty() || !rest.starts_with("///")) && rest.starts_with("//")) {
    std::size_t slash = rest.find('/', 2);
    std::string_view authority = rest.substr(2, slash == std::string_view::npos ? std::string_view::npos : slash - 2);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
      has_user = true;
      authority.remove_prefix(at + 1);
    }
    if (!Unescape(authority, &host, &bad)) return fail("invalid URL escape " + Quote(bad));
  } else if (!scheme.empty() && rest.starts_with('/')) {
    omit_host = true;
  }
  if (!Unescape(rest, &path, &bad) || !Unescape(fragment_raw, &fragment, &bad)) {
    return fail("invalid URL escape " + Quote(bad));
  }
  if (!host.empty() && !IsDomain(host)) return Fail("x509: cannot parse URI " + Quote(text) + ": invalid domain");
  *out = Fields({
      {"Scheme", Text(scheme)}, {"Opaque", Text(opaque)}, {"User", has_user ? Fields({}) : Value()},
      {"Host", Text(host)},     {"Path", Text(path)},     {"RawPath", Value("")},
      {"OmitHost", omit_host},  {"ForceQuery", force_query}, {"RawQuery", Text(query)},
      {"Fragment", Text(fragment)}, {"RawFragment", Value("")},
  });
  return true;
}

bool CertificateReader::ReadSubjectAltNames(std::string_view value, bool* unhandled) {
  Der outer(value), names;
  if (!outer.Read(kSequence, &names)) return Fail("x509: invalid subject alternative names");
  while (!names.empty()) {
    Element name;
    if (!names.ReadAny(&name)) return Fail("x509: invalid subject alternative name");
    std::string_view data = name.contents;
    switch (name.tag ^ 0x80) {
      case 1:
        if (!IsIa5(data)) return Fail("x509: SAN rfc822Name is malformed");
        emails_.push_back(Value(data));
        break;
      case 2:
        if (!IsIa5(data)) return Fail("x509: SAN dNSName is malformed");
        dns_.push_back(Value(data));
        break;
      case 6: {
        if (!IsIa5(data)) return Fail("x509: SAN uniformResourceIdentifier is malformed");
        Value url;
        if (!ReadUrl(data, &url)) return false;
        uris_.push_back(url);
        break;
      }
      case 7:
        if (data.size() != 4 && data.size() != 16) {
          return Fail("x509: cannot parse IP address of length " + std::to_string(data.size()));
        }
        ips_.push_back(Value(IpText(data)));
        break;
      default: break;
    }
  }
  *unhandled = dns_.empty() && emails_.empty() && ips_.empty() && uris_.empty();
  return true;
}

// One of a name constraint's subtree lists (Go's parseNameConstraintsExtension's getValues).
bool CertificateReader::ReadSubtrees(std::string_view der, const char* which, bool* unhandled) {
  Der subtrees(der);
  Array dns, ips, emails, uris;
  while (!subtrees.empty()) {
    Der subtree;
    Element base;
    if (!subtrees.Read(kSequence, &subtree) || !subtree.ReadAny(&base)) {
      return Fail("x509: invalid NameConstraints extension");
    }
    std::string_view v = base.contents;
    std::string_view trimmed = v.starts_with('.') ? v.substr(1) : v;
    bool text_kind = base.tag == Context(1) || base.tag == Context(2) || base.tag == Context(6);
    if (text_kind && !IsIa5(v)) {
      return Fail("x509: invalid constraint value: x509: " + Quote(v) + " cannot be encoded as an IA5String");
    }
    if (base.tag == Context(2)) {
      if (!IsDomain(trimmed)) return Fail("x509: failed to parse dnsName constraint " + Quote(v));
      dns.push_back(Value(v));
    } else if (base.tag == Context(7)) {
      if (v.size() != 8 && v.size() != 32) {
        return Fail("x509: IP constraint contained value of length " + std::to_string(v.size()));
      }
      std::string_view mask = v.substr(v.size() / 2);
      // isValidIPMask: ones, then zeros.
      bool zero = false, valid = true;
      for (char c : mask) {
        unsigned b = static_cast<unsigned char>(c), inverse = ~b & 0xff;
        valid = valid && (zero ? b == 0 : (inverse & (inverse + 1)) == 0);
        zero = zero || b != 0xff;
      }
      if (!valid) {
        std::string hex;
        for (char c : mask) hex += {kHexDigits[(c >> 4) & 0xf], kHexDigits[c & 0xf]};
        return Fail("x509: IP constraint contained invalid mask " + hex);
      }
      ips.push_back(Fields({{"IP", Value(IpText(v.substr(0, v.size() / 2)))}, {"Mask", Bytes(mask)}}));
    } else if (base.tag == Context(1)) {
      std::string_view domain = v.find('@') == std::string_view::npos ? trimmed : v.substr(v.rfind('@') + 1);
      if (!IsDomain(domain) || (v.find('@') != std::string_view::npos && domain.empty())) {
        return Fail("x509: failed to parse rfc822Name constraint " + Quote(v));
      }
      emails.push_back(Value(v));
    } else if (base.tag == Context(6)) {
      // net.ParseIP, roughly: a dotted quad, or hex digits and colons.
      bool ip = (v.find_first_not_of("0123456789.") == std::string_view::npos && std::count(v.begin(), v.end(), '.') == 3) ||
                (v.find(':') != std::string_view::npos && v.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos);
      if (ip) return Fail("x509: failed to parse URI constraint " + Quote(v) + ": cannot be IP address");
      if (!IsDomain(trimmed)) return Fail("x509: failed to parse URI constraint " + Quote(v));
      uris.push_back(Value(v));
    } else {
      *unhandled = true;
    }
  }
  std::string prefix(which);
  constraints_[prefix + "DNSDomains"] = Slice(std::move(dns));
  constraints_[prefix + "IPRanges"] = Slice(std::move(ips));
  constraints_[prefix + "EmailAddresses"] = Slice(std::move(emails));
  constraints_[prefix + "URIDomains"] = Slice(std::move(uris));
  return true;
}

bool CertificateReader::ReadNameConstraints(std::string_view value, bool critical, bool* unhandled) {
  Der outer(value), top;
  std::string_view permitted, excluded;
  bool has_permitted = false, has_excluded = false;
  if (!outer.Read(kSequence, &top) || !outer.empty() ||
      !top.ReadOptional(ContextConstructed(0), &permitted, &has_permitted) ||
      !top.ReadOptional(ContextConstructed(1), &excluded, &has_excluded) || !top.empty()) {
    return Fail("x509: invalid NameConstraints extension");
  }
  if (permitted.empty() && excluded.empty()) return Fail("x509: empty name constraints extension");
  *unhandled = false;
  if (!ReadSubtrees(permitted, "Permitted", unhandled) || !ReadSubtrees(excluded, "Excluded", unhandled)) return false;
  Field("PermittedDNSDomainsCritical") = Value(critical);
  return true;
}

// x509.ExtKeyUsage values by OID; the others go to UnknownExtKeyUsage.
constexpr std::pair<std::string_view, int> kExtKeyUsages[] = {
    {"\x55\x1d\x25\x00", 0},
    {"\x2b\x06\x01\x05\x05\x07\x03\x01", 1}, {"\x2b\x06\x01\x05\x05\x07\x03\x02", 2},
    {"\x2b\x06\x01\x05\x05\x07\x03\x03", 3}, {"\x2b\x06\x01\x05\x05\x07\x03\x04", 4},
    {"\x2b\x06\x01\x05\x05\x07\x03\x05", 5}, {"\x2b\x06\x01\x05\x05\x07\x03\x06", 6},
    {"\x2b\x06\x01\x05\x05\x07\x03\x07", 7}, {"\x2b\x06\x01\x05\x05\x07\x03\x08", 8},
    {"\x2b\x06\x01\x05\x05\x07\x03\x09", 9}, {"\x2b\x06\x01\x04\x01\x82\x37\x0a\x03\x03", 10},
    {"\x60\x86\x48\x01\x86\xf8\x42\x04\x01", 11}, {"\x2b\x06\x01\x04\x01\x82\x37\x02\x01\x16", 12},
    {"\x2b\x06\x01\x04\x01\x82\x37\x3d\x01\x01", 13},
};

// The extensions Go reads with cryptobyte alone (2.5.29.x: key usage, basic constraints,
// CRL distribution points, authority and subject key ids, extended key usage, policies).
bool CertificateReader::ReadSimpleExtension(std::uint8_t id, std::string_view value) {
  Der v(value), seq;
  switch (id) {
    case 15: {
      BitString bits;
      if (!ReadBitString(v, &bits)) return Fail("x509: invalid key usage");
      int usage = 0;
      for (int i = 0; i < 9; ++i) usage |= bits.At(i) ? 1 << i : 0;
      Field("KeyUsage") = Value(usage);
      return true;
    }
    case 19: {
      bool ca = false;
      std::int64_t max_path = -1;
      if (!v.Read(kSequence, &seq)) return Fail("x509: invalid basic constraints a");
      if (seq.Peek(kBoolean) && !ReadBoolean(seq, &ca)) return Fail("x509: invalid basic constraints b");
      if (seq.Peek(kInteger) && !ReadInt64(seq, &max_path)) return Fail("x509: invalid basic constraints c");
      Field("IsCA") = Value(ca);
      Field("MaxPathLen") = Value(max_path);
      Field("BasicConstraintsValid") = Value(true);
      Field("MaxPathLenZero") = Value(max_path == 0);
      return true;
    }
    case 31:
      if (!v.Read(kSequence, &seq)) return Fail("x509: invalid CRL distribution points");
      while (!seq.empty()) {
        Der point, name;
        std::string_view name_der;
        bool present = false;
        if (!seq.Read(kSequence, &point) || !point.ReadOptional(ContextConstructed(0), &name_der, &present)) {
          return Fail("x509: invalid CRL distribution point");
        }
        if (!present) continue;
        Der full(name_der);
        if (!full.Read(ContextConstructed(0), &name)) return Fail("x509: invalid CRL distribution point");
        while (name.Peek(Context(6))) {
          std::string_view uri;
          if (!name.Read(Context(6), &uri)) return Fail("x509: invalid CRL distribution point");
          crl_.push_back(Text(uri));
        }
      }
      return true;
    case 35: {
      std::string_view id_bytes;
      if (!v.Read(kSequence, &seq)) return Fail("x509: invalid authority key identifier");
      if (seq.Peek(Context(0))) {
        if (!seq.Read(Context(0), &id_bytes)) return Fail("x509: invalid authority key identifier");
        Field("AuthorityKeyId") = Bytes(id_bytes);
      }
      return true;
    }
    case 37:
      if (!v.Read(kSequence, &seq)) return Fail("x509: invalid extended key usages");
      while (!seq.empty()) {
        std::string_view oid;
        if (!ReadOid(seq, &oid)) return Fail("x509: invalid extended key usages");
        int known = -1;
        for (const auto& [usage_oid, usage] : kExtKeyUsages) known = usage_oid == oid ? usage : known;
        if (known >= 0) {
          ext_usage_.push_back(Value(known));
        } else {
          unknown_usage_.push_back(OidValue(oid));
        }
      }
      return true;
    case 14: {
      std::string_view key_id;
      if (!v.Read(kOctetString, &key_id)) return Fail("x509: invalid subject key identifier");
      Field("SubjectKeyId") = Bytes(key_id);
      return true;
    }
    case 32:
      if (!v.Read(kSequence, &seq)) return Fail("x509: invalid certificate policies");
      while (!seq.empty()) {
        Der policy;
        std::string_view oid;
        if (!seq.Read(kSequence, &policy) || !ReadOid(policy, &oid)) return Fail("x509: invalid certificate policies");
        policies_.push_back(OidValue(oid));
      }
      return true;
    default: return true;
  }
}

// processExtensions for one extension; unhandled critical ones are recorded.
bool CertificateReader::ReadExtension(std::string_view oid, bool critical, std::string_view value) {
  bool unhandled = false;
  constexpr std::string_view kAuthorityInfoAccess = "\x2b\x06\x01\x05\x05\x07\x01\x01";
  if (oid.size() == 3 && oid.starts_with("\x55\x1d") && !(oid[2] & 0x80)) {  // 2.5.29.x
    switch (oid[2]) {
      case 17:
        if (!ReadSubjectAltNames(value, &unhandled)) return false;
        break;
      case 30:
        if (!ReadNameConstraints(value, critical, &unhandled)) return false;
        break;
      case 14: case 15: case 19: case 31: case 32: case 35: case 37:
        if (!ReadSimpleExtension(static_cast<std::uint8_t>(oid[2]), value)) return false;
        break;
      default: unhandled = true;
    }
  } else if (oid == kAuthorityInfoAccess) {
    Der outer(value), seq;
    if (!outer.Read(kSequence, &seq)) return Fail("x509: invalid authority info access");
    while (!seq.empty()) {
      Der access;
      std::string_view method, location;
      if (!seq.Read(kSequence, &access) || !ReadOid(access, &method)) return Fail("x509: invalid authority info access");
      if (!access.Peek(Context(6))) continue;
      if (!access.Read(Context(6), &location)) return Fail("x509: invalid authority info access");
      if (method == "\x2b\x06\x01\x05\x05\x07\x30\x01") ocsp_.push_back(Text(location));
      if (method == "\x2b\x06\x01\x05\x05\x07\x30\x02") issuers_.push_back(Text(location));
    }
  } else {
    unhandled = true;
  }
  if (critical && unhandled) unhandled_.push_back(OidValue(oid));
  return true;
}

bool CertificateReader::Read(std::string_view der) {
  Der input(der), certificate, tbs;
  Element raw, tbs_element, issuer, subject, spki_element;
  if (!input.Read(kSequence, &raw)) return Fail("x509: malformed certificate");
  certificate = Der(raw.contents);
  if (!certificate.Read(kSequence, &tbs_element)) return Fail("x509: malformed tbs certificate");
  tbs = Der(tbs_element.contents);

  // Version: an optional [0] EXPLICIT INTEGER, kept one-indexed (with Go's int wrap-around).
  std::int64_t version = 0;
  if (tbs.Peek(ContextConstructed(0))) {
    Der explicit_version;
    if (!tbs.Read(ContextConstructed(0), &explicit_version) || !ReadInt64(explicit_version, &version) ||
        !explicit_version.empty()) {
      return Fail("x509: malformed version");
    }
  }
  if (version < 0) return Fail("x509: malformed version");
  version = static_cast<std::int64_t>(static_cast<std::uint64_t>(version) + 1);
  if (version > 3) return Fail("x509: invalid version");

  std::string_view serial, signature_ai, outer_ai, algorithm, params;
  if (!ReadInteger(tbs, &serial)) return Fail("x509: malformed serial number");
  if (!tbs.Read(kSequence, &signature_ai)) return Fail("x509: malformed signature algorithm identifier");
  if (!certificate.Read(kSequence, &outer_ai)) return Fail("x509: malformed algorithm identifier");
  if (outer_ai != signature_ai) return Fail("x509: inner and outer signature algorithm identifiers don't match");
  if (const char* error = ReadAlgorithm(signature_ai, &algorithm, &params)) return Fail(error);
  Field("SignatureAlgorithm") = Value(SignatureAlgorithm(algorithm, params));

  if (!tbs.Read(kSequence, &issuer)) return Fail("x509: malformed issuer");
  if (!ReadName(issuer.whole, &Field("Issuer"))) return false;
  Der validity;
  GoTime not_before, not_after;
  if (!tbs.Read(kSequence, &validity)) return Fail("x509: malformed validity");
  if (!ReadTime(validity, &not_before) || !ReadTime(validity, &not_after)) return false;
  if (!tbs.Read(kSequence, &subject)) return Fail("x509: malformed issuer");  // sic, as Go
  if (!ReadName(subject.whole, &Field("Subject"))) return false;

  Der spki, key_ai;
  BitString key;
  if (!tbs.Read(kSequence, &spki_element)) return Fail("x509: malformed spki");
  spki = Der(spki_element.contents);
  if (!spki.Read(kSequence, &key_ai)) return Fail("x509: malformed public key algorithm identifier");
  if (const char* error = ReadAlgorithm(key_ai.rest(), &algorithm, &params)) return Fail(error);
  Field("PublicKeyAlgorithm") = Value(PublicKeyAlgorithm(algorithm));
  if (!ReadBitString(spki, &key)) return Fail("x509: malformed subjectPublicKey");
  if (!ReadPublicKey(algorithm, params, key)) return false;

  Field("KeyUsage") = Field("MaxPathLen") = Value(0);
  Field("BasicConstraintsValid") = Field("IsCA") = Field("MaxPathLenZero") = Value(false);
  Field("PermittedDNSDomainsCritical") = Value(false);
  Field("SubjectKeyId") = Field("AuthorityKeyId") = Value();
  Array extensions;
  if (version > 1) {
    std::string_view skipped, list_der;
    bool present = false;
    if (!tbs.ReadOptional(Context(1), &skipped, &present)) return Fail("x509: malformed issuerUniqueID");
    if (!tbs.ReadOptional(Context(2), &skipped, &present)) return Fail("x509: malformed subjectUniqueID");
    present = false;
    if (version == 3 && !tbs.ReadOptional(ContextConstructed(3), &list_der, &present)) {
      return Fail("x509: malformed extensions");
    }
    if (present) {
      struct Extension {
        std::string_view oid, value;
        bool critical = false;
      };
      std::vector<Extension> read;
      Object seen;  // by OID bytes (the map Value already instantiates)
      Der outer(list_der), list;
      if (!outer.Read(kSequence, &list)) return Fail("x509: malformed extensions");
      while (!list.empty()) {
        Der fields;
        Extension e;
        if (!list.Read(kSequence, &fields)) return Fail("x509: malformed extension");
        if (!ReadOid(fields, &e.oid)) return Fail("x509: malformed extension OID field");
        if (fields.Peek(kBoolean) && !ReadBoolean(fields, &e.critical)) {
          return Fail("x509: malformed extension critical field");
        }
        if (!fields.Read(kOctetString, &e.value)) return Fail("x509: malformed extension value field");
        if (!seen.try_emplace(std::string(e.oid)).second) return Fail("x509: certificate contains duplicate extensions");
        read.push_back(e);
        extensions.push_back(Fields({{"Id", OidValue(e.oid)}, {"Critical", Value(e.critical)}, {"Value", Bytes(e.value)}}));
      }
      // Go reads the contents once every extension is known to be well formed.
      for (const Extension& e : read) {
        if (!ReadExtension(e.oid, e.critical, e.value)) return false;
      }
    }
  }

  BitString signature;
  if (!ReadBitString(certificate, &signature)) return Fail("x509: malformed signature");
  if (raw.whole.size() != der.size()) return Fail("x509: trailing data");

  Field("Raw") = Bytes(raw.whole);
  Field("RawTBSCertificate") = Bytes(tbs_element.whole);
  Field("RawSubjectPublicKeyInfo") = Bytes(spki_element.whole);
  Field("RawSubject") = Bytes(subject.whole);
  Field("RawIssuer") = Bytes(issuer.whole);
  Field("Signature") = Bytes(signature.RightAlign());
  Field("Version") = Value(version);
  Field("SerialNumber") = Number(serial);
  if (!json_error_.empty()) return Fail(json_error_);
  Field("NotBefore") = Value(FormatRfc3339(not_before));
  Field("NotAfter") = Value(FormatRfc3339(not_after));
  Field("Extensions") = Slice(std::move(extensions));
  Field("ExtraExtensions") = Value();
  const std::pair<const char*, Array*> lists[] = {
      {"UnhandledCriticalExtensions", &unhandled_}, {"ExtKeyUsage", &ext_usage_},
      {"UnknownExtKeyUsage", &unknown_usage_},      {"OCSPServer", &ocsp_},
      {"IssuingCertificateURL", &issuers_},         {"DNSNames", &dns_},
      {"EmailAddresses", &emails_},                 {"IPAddresses", &ips_},
      {"URIs", &uris_},                             {"CRLDistributionPoints", &crl_},
      {"PolicyIdentifiers", &policies_}};
  for (const auto& [name, list] : lists) Field(name) = Slice(std::move(*list));
  out_.merge(constraints_);
  for (const char* which : {"Permitted", "Excluded"}) {
    for (const char* kind : {"DNSDomains", "IPRanges", "EmailAddresses", "URIDomains"}) {
      out_.try_emplace(std::string(which) + kind, Value());
    }
  }
  return true;
}

// The base64 of a PEM body as Go's base64.StdEncoding decodes it (padding required, line
// breaks skipped); nullopt when malformed.
std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c != '\r' && c != '\n') clean += c;
  }
  std::size_t padding = clean.size() - std::min(clean.size(), clean.find_last_not_of('=') + 1);
  if (clean.size() % 4 != 0 || padding > 2) return std::nullopt;
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < clean.size() - padding; ++i) {
    char c = clean[i];
    int d = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (d < 0) return std::nullopt;
    bits = bits << 6 | static_cast<std::uint32_t>(d);
    if ((count += 6) >= 8) out += static_cast<char>(bits >> (count -= 8));
  }
  return out;
}

// Go's pem getLine: the line without "\r\n" and trailing blanks, and what follows it.
std::string_view GetLine(std::string_view& data) {
  std::size_t newline = data.find('\n');
  std::string_view line = data.substr(0, newline);
  data = newline == std::string_view::npos ? std::string_view() : data.substr(newline + 1);
  if (newline != std::string_view::npos && line.ends_with('\r')) line.remove_suffix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return line;
}

// The bytes of the first PEM block, whatever its type (Go's pem.Decode: a block whose end line
// or base64 is wrong is skipped and the search goes on).
std::optional<std::string> FirstPemBlock(std::string_view data) {
  constexpr std::string_view kBegin = "\n-----BEGIN ", kEnd = "\n-----END ", kDashes = "-----";
  std::string_view rest = data;
  while (true) {
    if (rest.starts_with(kBegin.substr(1))) {
      rest.remove_prefix(kBegin.size() - 1);
    } else if (std::size_t at = rest.find(kBegin); at != std::string_view::npos) {
      rest.remove_prefix(at + kBegin.size());
    } else {
      return std::nullopt;
    }
    std::string_view type = GetLine(rest);
    if (!type.ends_with(kDashes)) continue;
    type.remove_suffix(kDashes.size());
    bool headers = false;
    for (std::string_view next = rest;; rest = next) {
      if (rest.empty()) return std::nullopt;
      if (GetLine(next).find(':') == std::string_view::npos) break;
      headers = true;
    }
    std::size_t end = 0, trailer = kEnd.size() - 1;
    if (headers || !rest.starts_with(kEnd.substr(1))) {
      end = rest.find(kEnd);
      if (end == std::string_view::npos) continue;
      trailer = end + kEnd.size();
    }
    std::string_view end_line = rest.substr(trailer);
    if (end_line.size() < type.size() + kDashes.size() || !end_line.starts_with(type) ||
        end_line.substr(type.size(), kDashes.size()) != kDashes) {
      continue;
    }
    std::string_view after = end_line.substr(type.size() + kDashes.size());
    if (!GetLine(after).empty()) continue;
    std::string body;
    for (char c : rest.substr(0, end)) {
      if (c != ' ' && c != '\t') body += c;
    }
    if (auto bytes = DecodeBase64(body)) return bytes;
  }
}

}  // namespace

std::expected<Value, std::string> DecodeX509(std::string_view pem) {
  std::optional<std::string> der = FirstPemBlock(pem);
  if (!der) return std::unexpected("invalid certificate");
  CertificateReader reader;
  if (!reader.Read(*der)) return std::unexpected(reader.error());
  return reader.certificate();
}

namespace jmespath {

Value X509Decode(Call& c) {
  if (!c.Need(0, {"string"})) return Value();
  auto certificate = DecodeX509(c.args[0].as_string());
  if (!certificate) return c.Fail(certificate.error());
  return *certificate;
}

}  // namespace jmespath

}  // namespace kyverno
