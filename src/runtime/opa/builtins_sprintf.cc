// sprintf(format, values): Go's fmt.Sprintf over the values OPA hands it.
//
// OPA converts each value before calling fmt.Sprintf: an integral number becomes an `int`
// (above int64, a *big.Int), any other number a float64, a string a string, and every other
// value (booleans, null, arrays, objects) the string OPA prints for it (`[1, "a"]`). So `%d`
// of "hi" prints `%!d(string=hi)` and `%v` of true prints "true" (a string), as in OPA.
//
// This file follows Go's fmt/print.go and fmt/format.go for those three types: flags `#0+- `,
// width and precision (also `*` and explicit `[n]` argument indexes), the verbs each type
// supports, and the error forms `%!d(string=hi)`, `%!d(MISSING)`, `%!(EXTRA int=1)`,
// `%!(NOVERB)`, `%!(BADWIDTH)`, `%!(BADPREC)`, `%!d(BADINDEX)`. Go ignores a width or
// precision above 1e6 as malformed; on top of that the result is capped (kMaxOutput) because
// many wide fields could still add up.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <charconv>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "base/utf8.h"
#include "runtime/opa/builtins_internal.h"

namespace kw::runtime::opa::internal {
namespace {

constexpr std::string_view kName = "sprintf";
constexpr std::size_t kMaxOutput = 16 << 20;

struct Arg {
  enum class Kind { kInt, kBigInt, kFloat, kString } kind;
  std::int64_t i = 0;
  std::uint64_t u = 0;  // kBigInt: above INT64_MAX
  double f = 0;
  std::string s;

  std::string_view TypeName() const {
    switch (kind) {
      case Kind::kInt: return "int";
      case Kind::kBigInt: return "*big.Int";
      case Kind::kFloat: return "float64";
      case Kind::kString: return "string";
    }
    return "";
  }
};

Arg ToArg(const json::value& v) {
  Arg a{Arg::Kind::kString};
  if (v.is_int64()) {
    a.kind = Arg::Kind::kInt;
    a.i = v.get_int64();
  } else if (v.is_uint64()) {
    a.kind = Arg::Kind::kBigInt;
    a.u = v.get_uint64();
  } else if (v.is_double()) {
    a.kind = Arg::Kind::kFloat;
    a.f = v.get_double();
  } else if (v.is_string()) {
    a.s = std::string(v.get_string());
  } else {
    AppendRegoString(v, a.s);
  }
  return a;
}

void AppendRune(std::uint32_t r, std::string& out) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
  if (r < 0x80) {
    out.push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out.push_back(static_cast<char>(0xC0 | r >> 6));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | r >> 12));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | r >> 18));
    out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

// Go's fmt.fmt plus the pp loop, writing into `out_`.
class Printer {
 public:
  explicit Printer(std::vector<Arg> args) : args_(std::move(args)) {}

  Result<std::string> Run(std::string_view format) {
    const std::size_t end = format.size();
    std::size_t arg_num = 0;
    bool after_index = false;
    for (std::size_t i = 0; i < end;) {
      if (out_.size() > kMaxOutput) {
        return std::unexpected(BuiltinError(kName, "the result is too large"));
      }
      good_arg_num_ = true;
      std::size_t lasti = i;
      while (i < end && format[i] != '%') ++i;
      out_.append(format.substr(lasti, i - lasti));
      if (i >= end) break;
      ++i;  // the '%'
      ClearFlags();
      bool simple_done = false;
      for (; i < end; ++i) {
        char c = format[i];
        if (c == '#') {
          sharp_ = true;
        } else if (c == '0') {
          zero_ = !minus_;  // zero padding only to the left
        } else if (c == '+') {
          plus_ = true;
        } else if (c == '-') {
          minus_ = true;
          zero_ = false;
        } else if (c == ' ') {
          space_ = true;
        } else {
          // Go's fast path: a lower-case verb right after the flags.
          if (c >= 'a' && c <= 'z' && arg_num < args_.size()) {
            if (c == 'v') MoveFlagsForV();
            PrintArg(args_[arg_num], static_cast<unsigned char>(c));
            ++arg_num;
            ++i;
            simple_done = true;
          }
          break;
        }
      }
      if (simple_done) continue;

      ArgNumber(arg_num, format, i, after_index);
      if (i < end && format[i] == '*') {
        ++i;
        IntFromArg(arg_num, wid_, wid_present_);
        if (!wid_present_) out_ += "%!(BADWIDTH)";
        if (wid_ < 0) {
          wid_ = -wid_;
          minus_ = true;
          zero_ = false;
        }
        after_index = false;
      } else {
        ParseNum(format, i, end, wid_, wid_present_);
        if (after_index && wid_present_) good_arg_num_ = false;
      }
      if (i + 1 < end && format[i] == '.') {
        ++i;
        if (after_index) good_arg_num_ = false;
        ArgNumber(arg_num, format, i, after_index);
        if (i < end && format[i] == '*') {
          ++i;
          IntFromArg(arg_num, prec_, prec_present_);
          if (prec_ < 0) {
            prec_ = 0;
            prec_present_ = false;
          }
          if (!prec_present_) out_ += "%!(BADPREC)";
          after_index = false;
        } else {
          ParseNum(format, i, end, prec_, prec_present_);
          if (!prec_present_) {
            prec_ = 0;
            prec_present_ = true;
          }
        }
      }
      if (!after_index) ArgNumber(arg_num, format, i, after_index);
      if (i >= end) {
        out_ += "%!(NOVERB)";
        break;
      }
      std::uint32_t verb = static_cast<unsigned char>(format[i]);
      std::size_t size = 1;
      if (verb >= 0x80) {
        Utf8Sequence d = DecodeUtf8OrReplacement(format.substr(i));
        verb = d.code_point;
        size = d.length;
      }
      i += size;
      if (verb == '%') {
        out_.push_back('%');  // absorbs no operand, ignores width and precision
      } else if (!good_arg_num_) {
        BadArgNum(verb);
      } else if (arg_num >= args_.size()) {
        out_ += "%!";
        AppendRune(verb, out_);
        out_ += "(MISSING)";
      } else {
        if (verb == 'v') MoveFlagsForV();
        PrintArg(args_[arg_num], verb);
        ++arg_num;
      }
    }
    if (!reordered_ && arg_num < args_.size()) {
      ClearFlags();
      out_ += "%!(EXTRA ";
      for (std::size_t k = arg_num; k < args_.size(); ++k) {
        if (k > arg_num) out_ += ", ";
        out_ += args_[k].TypeName();
        out_.push_back('=');
        PrintArg(args_[k], 'v');
      }
      out_.push_back(')');
    }
    if (out_.size() > kMaxOutput) {
      return std::unexpected(BuiltinError(kName, "the result is too large"));
    }
    return std::move(out_);
  }

 private:
  static bool TooLarge(std::int64_t x) { return x > 1'000'000 || x < -1'000'000; }

  void ClearFlags() {
    sharp_ = zero_ = plus_ = minus_ = space_ = sharp_v_ = plus_v_ = false;
    wid_present_ = prec_present_ = false;
    wid_ = prec_ = 0;
  }

  void MoveFlagsForV() {
    sharp_v_ = sharp_;
    sharp_ = false;
    plus_v_ = plus_;
    plus_ = false;  // %+v means struct field names, not a sign
  }

  // Go's parsenum: digits from `i`; a number above 1e6 is malformed and consumes the rest.
  static void ParseNum(std::string_view s, std::size_t& i, std::size_t end, std::int64_t& num,
                       bool& isnum) {
    num = 0;
    isnum = false;
    if (i >= end) return;
    std::size_t j = i;
    for (; j < end && s[j] >= '0' && s[j] <= '9'; ++j) {
      if (TooLarge(num)) {
        num = 0;
        isnum = false;
        i = end;
        return;
      }
      num = num * 10 + (s[j] - '0');
      isnum = true;
    }
    i = j;
  }

  // Go's argNumber: an explicit "[n]" index at `i`.
  void ArgNumber(std::size_t& arg_num, std::string_view format, std::size_t& i, bool& found) {
    found = false;
    if (i >= format.size() || format[i] != '[') return;
    reordered_ = true;
    std::string_view rest = format.substr(i);
    std::size_t wid = 1;
    bool ok = false;
    std::int64_t index = 0;
    if (rest.size() >= 3) {
      for (std::size_t k = 1; k < rest.size(); ++k) {
        if (rest[k] == ']') {
          std::size_t newi = 1;
          std::int64_t width = 0;
          bool isnum = false;
          ParseNum(rest, newi, k, width, isnum);
          wid = k + 1;
          ok = isnum && newi == k;
          index = width - 1;
          break;
        }
      }
    }
    if (ok && index >= 0 && static_cast<std::size_t>(index) < args_.size()) {
      arg_num = static_cast<std::size_t>(index);
      i += wid;
      found = true;
      return;
    }
    good_arg_num_ = false;
    i += wid;
    found = ok;
  }

  // Go's intFromArg: `*` takes an int operand.
  void IntFromArg(std::size_t& arg_num, std::int64_t& num, bool& is_int) {
    num = 0;
    is_int = false;
    if (arg_num >= args_.size()) return;
    const Arg& a = args_[arg_num];
    if (a.kind == Arg::Kind::kInt) {
      num = a.i;
      is_int = true;
    }
    ++arg_num;
    if (TooLarge(num)) {
      num = 0;
      is_int = false;
    }
  }

  void BadArgNum(std::uint32_t verb) {
    out_ += "%!";
    AppendRune(verb, out_);
    out_ += "(BADINDEX)";
  }

  void BadVerb(const Arg& a, std::uint32_t verb) {
    out_ += "%!";
    AppendRune(verb, out_);
    out_.push_back('(');
    if (a.kind == Arg::Kind::kBigInt) {
      // *big.Int formats itself: its own text, without the pointer star.
      out_ += "big.Int=" + std::to_string(a.u);
    } else {
      out_ += a.TypeName();
      out_.push_back('=');
      PrintArg(a, 'v');
    }
    out_.push_back(')');
  }

  void PrintArg(const Arg& a, std::uint32_t verb) {
    if (verb == 'T') {
      FmtS(a.TypeName());
      return;
    }
    if (verb == 'p') {
      BadVerb(a, verb);
      return;
    }
    switch (a.kind) {
      case Arg::Kind::kInt:
        FmtIntegerVerb(static_cast<std::uint64_t>(a.i), true, verb, a);
        return;
      case Arg::Kind::kBigInt:
        // *big.Int formats itself and sees %+v's plus flag, which fmt hides from int.
        if (verb == 'v') plus_ = plus_ || plus_v_;
        if (verb == 's' || verb == 'v') verb = 'd';
        if (verb == 'O') sharp_ = false;  // its "0o" prefix replaces the '#' one
        if (verb == 'd' || verb == 'b' || verb == 'o' || verb == 'O' || verb == 'x' ||
            verb == 'X') {
          FmtIntegerVerb(a.u, false, verb, a);
        } else {
          BadVerb(a, verb);
        }
        return;
      case Arg::Kind::kFloat:
        FmtFloatVerb(a.f, verb, a);
        return;
      case Arg::Kind::kString:
        FmtStringVerb(a.s, verb, a);
        return;
    }
  }

  // --- padding ---

  void WritePadding(std::int64_t n) {
    if (n <= 0) return;
    out_.append(static_cast<std::size_t>(n), zero_ ? '0' : ' ');
  }

  void Pad(std::string_view s) {
    if (!wid_present_ || wid_ == 0) {
      out_ += s;
      return;
    }
    std::int64_t width = wid_ - static_cast<std::int64_t>(CountRunes(s));
    if (!minus_) {
      WritePadding(width);
      out_ += s;
    } else {
      out_ += s;
      WritePadding(width);
    }
  }

  // --- integers ---

  void FmtIntegerVerb(std::uint64_t v, bool is_signed, std::uint32_t verb, const Arg& a) {
    switch (verb) {
      case 'v':
      case 'd':
        FmtInteger(v, 10, is_signed, verb, false);
        return;
      case 'b':
        FmtInteger(v, 2, is_signed, verb, false);
        return;
      case 'o':
      case 'O':
        FmtInteger(v, 8, is_signed, verb, false);
        return;
      case 'x':
        FmtInteger(v, 16, is_signed, verb, false);
        return;
      case 'X':
        FmtInteger(v, 16, is_signed, verb, true);
        return;
      case 'c': {
        std::string s;
        AppendRune(v > 0x10FFFF ? 0xFFFD : static_cast<std::uint32_t>(v), s);
        Pad(s);
        return;
      }
      case 'q': {
        std::uint32_t r = v > 0x10FFFF ? 0xFFFD : static_cast<std::uint32_t>(v);
        Pad(QuoteRune(r, plus_));
        return;
      }
      case 'U':
        FmtUnicode(v);
        return;
      default:
        BadVerb(a, verb);
    }
  }

  void FmtInteger(std::uint64_t u, int base, bool is_signed, std::uint32_t verb, bool upper) {
    const char* digits = upper ? "0123456789ABCDEFX" : "0123456789abcdefx";
    bool negative = is_signed && static_cast<std::int64_t>(u) < 0;
    if (negative) u = 0 - u;
    std::int64_t prec = 0;
    if (prec_present_) {
      prec = prec_;
      if (prec == 0 && u == 0) {
        bool old_zero = zero_;
        zero_ = false;
        WritePadding(wid_);
        zero_ = old_zero;
        return;
      }
    } else if (zero_ && !minus_ && wid_present_) {
      prec = wid_;
      if (negative || plus_ || space_) --prec;  // room for the sign
    }
    std::string buf;
    do {
      buf.push_back(digits[u % static_cast<unsigned>(base)]);
      u /= static_cast<unsigned>(base);
    } while (u != 0);
    while (static_cast<std::int64_t>(buf.size()) < prec) buf.push_back('0');
    if (sharp_) {
      if (base == 2) {
        buf += "b0";
      } else if (base == 8) {
        if (buf.back() != '0') buf.push_back('0');
      } else if (base == 16) {
        buf.push_back(digits[16]);
        buf.push_back('0');
      }
    }
    if (verb == 'O') buf += "o0";
    if (negative) {
      buf.push_back('-');
    } else if (plus_) {
      buf.push_back('+');
    } else if (space_) {
      buf.push_back(' ');
    }
    std::reverse(buf.begin(), buf.end());
    bool old_zero = zero_;
    zero_ = false;  // zero padding was done above as precision, or is ignored
    Pad(buf);
    zero_ = old_zero;
  }

  void FmtUnicode(std::uint64_t u) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "%llX", static_cast<unsigned long long>(u));
    std::string digits = hex;
    std::int64_t prec = prec_present_ && prec_ > 4 ? prec_ : 4;
    if (static_cast<std::int64_t>(digits.size()) < prec) {
      digits.insert(0, static_cast<std::size_t>(prec) - digits.size(), '0');
    }
    std::string s = "U+" + digits;
    if (sharp_ && u <= 0x10FFFF) {
      std::string r;
      AppendRune(static_cast<std::uint32_t>(u), r);
      std::string quoted = GoQuote(r);
      // A printable rune only: GoQuote leaves it as is.
      if (quoted.size() == r.size() + 2) s += " '" + r + "'";
    }
    bool old_zero = zero_;
    zero_ = false;
    Pad(s);
    zero_ = old_zero;
  }

  // strconv.QuoteRune / QuoteRuneToASCII.
  static std::string QuoteRune(std::uint32_t r, bool ascii_only) {
    std::string text;
    AppendRune(r, text);
    if (r == '\'') return "'\\''";
    std::string quoted = GoQuote(text, ascii_only);  // "..."
    std::string inner = quoted.substr(1, quoted.size() - 2);
    if (inner == "\\\"") inner = "\"";
    return "'" + inner + "'";
  }

  // --- floats ---

  void FmtFloatVerb(double v, std::uint32_t verb, const Arg& a) {
    switch (verb) {
      case 'v':
        FmtFloat(v, 'g', -1);
        return;
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        FmtFloat(v, static_cast<char>(verb), -1);
        return;
      case 'f':
      case 'e':
      case 'E':
      case 'F':
        FmtFloat(v, static_cast<char>(verb), 6);
        return;
      default:
        BadVerb(a, verb);
    }
  }

  // strconv.AppendFloat(v, verb, prec, 64) for a finite v (JSON has no others).
  static std::string FormatFloat(double v, char verb, std::int64_t prec) {
    char buf[1100];
    if (verb == 'F') verb = 'f';
    if (verb == 'b') {
      // Go's %b: decimal mantissa, "p", binary exponent: 4503599627370496p-52.
      int exp = 0;
      double m = std::frexp(std::fabs(v), &exp);
      auto mant = static_cast<std::uint64_t>(std::ldexp(m, 53));
      exp -= 53;
      if (mant == 0) exp = -1074;
      std::snprintf(buf, sizeof buf, "%s%llup%c%d", std::signbit(v) ? "-" : "",
                    static_cast<unsigned long long>(mant), exp < 0 ? '-' : '+', std::abs(exp));
      return buf;
    }
    if (verb == 'x' || verb == 'X') return FormatHexFloat(v, verb, prec);
    if (prec < 0 && (verb == 'g' || verb == 'G')) {
      // Shortest digits that read back as v; an exponent when it is below -4 or at least 6
      // (the %e threshold Go uses for shortest precision).
      auto [sci_end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
      std::string sci(buf, sci_end);
      std::size_t e = sci.find('e');
      int exp = std::atoi(sci.c_str() + e + 1);
      if (exp < -4 || exp >= 6) {
        std::string mantissa = sci.substr(0, e);
        char sign = exp < 0 ? '-' : '+';
        int a = std::abs(exp);
        std::string out = mantissa + (verb == 'g' ? "e" : "E") + sign + (a < 10 ? "0" : "") +
                          std::to_string(a);
        return out;
      }
      auto [fix_end, ec2] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
      return std::string(buf, fix_end);
    }
    // Precision given (or the default 6 of %e %f): C agrees with Go here.
    std::string spec = "%.*";
    spec.push_back(verb);
    std::vector<char> big(static_cast<std::size_t>(prec) + 400);
    std::snprintf(big.data(), big.size(), spec.c_str(), static_cast<int>(prec), v);
    return big.data();
  }

  // strconv's %x for floats: "0x1.8p+01", the leading hex digit always 1 (0 for zero), the
  // mantissa rounded half to even to `prec` hex digits, an exponent of at least two digits.
  static std::string FormatHexFloat(double v, char verb, std::int64_t prec) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    const bool neg = bits >> 63;
    int exp = static_cast<int>((bits >> 52) & 0x7FF);
    std::uint64_t mant = bits & ((std::uint64_t{1} << 52) - 1);
    if (exp == 0) {
      ++exp;  // subnormal
    } else {
      mant |= std::uint64_t{1} << 52;
    }
    exp -= 1023;
    if (mant == 0) exp = 0;
    mant <<= 60 - 52;
    while (mant != 0 && (mant & (std::uint64_t{1} << 60)) == 0) {
      mant <<= 1;
      --exp;
    }
    if (prec >= 0 && prec < 15) {
      const auto shift = static_cast<unsigned>(prec * 4);
      const std::uint64_t extra = (mant << shift) & ((std::uint64_t{1} << 60) - 1);
      mant >>= 60 - shift;
      if ((extra | (mant & 1)) > (std::uint64_t{1} << 59)) ++mant;
      mant <<= 60 - shift;
      if (mant & (std::uint64_t{1} << 61)) {  // the rounding carried into a new digit
        mant >>= 1;
        ++exp;
      }
    }
    const char* hex = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    if (neg) out.push_back('-');
    out.push_back('0');
    out.push_back(verb);
    out.push_back(static_cast<char>('0' + ((mant >> 60) & 1)));
    mant <<= 4;
    if (prec < 0 && mant != 0) {
      out.push_back('.');
      for (; mant != 0; mant <<= 4) out.push_back(hex[(mant >> 60) & 15]);
    } else if (prec > 0) {
      out.push_back('.');
      for (std::int64_t i = 0; i < prec; ++i, mant <<= 4) out.push_back(hex[(mant >> 60) & 15]);
    }
    out.push_back(verb == 'X' ? 'P' : 'p');
    out.push_back(exp < 0 ? '-' : '+');
    exp = std::abs(exp);
    if (exp < 10) out.push_back('0');
    out += std::to_string(exp);
    return out;
  }

  // Go's '#' flag for floats (fmt/format.go): always a decimal point, and for %g/%x/%v
  // trailing zeros up to the precision (6 when none is given). `num` starts with its sign.
  static std::string Sharpen(std::string num, char verb, std::int64_t prec) {
    std::int64_t digits = 0;
    if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x') digits = prec == -1 ? 6 : prec;
    std::string tail;
    bool has_point = false, saw_nonzero = false;
    for (std::size_t i = 1; i < num.size(); ++i) {
      char c = num[i];
      if (c == '.') {
        has_point = true;
        continue;
      }
      if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
        tail = num.substr(i);
        num.resize(i);
        break;
      }
      if (c != '0') saw_nonzero = true;
      if (saw_nonzero) --digits;
    }
    if (!has_point) {
      if (num.size() == 2 && num[1] == '0') --digits;
      num.push_back('.');
    }
    if (digits > 0) num.append(static_cast<std::size_t>(digits), '0');
    return num + tail;
  }

  void FmtFloat(double v, char verb, std::int64_t prec) {
    if (prec_present_) prec = prec_;
    std::string num = FormatFloat(v, verb, prec);
    if (num[0] != '-' && num[0] != '+') num.insert(num.begin(), '+');
    if (space_ && num[0] == '+' && !plus_) num[0] = ' ';
    if (sharp_ && verb != 'b') num = Sharpen(std::move(num), verb == 'F' ? 'f' : verb, prec);
    if (plus_ || num[0] != '+') {
      if (zero_ && !minus_ && wid_present_ && wid_ > static_cast<std::int64_t>(num.size())) {
        out_.push_back(num[0]);
        WritePadding(wid_ - static_cast<std::int64_t>(num.size()));
        out_.append(num, 1);
        return;
      }
      Pad(num);
      return;
    }
    Pad(std::string_view(num).substr(1));
  }

  // --- strings ---

  std::string_view Truncate(std::string_view s) const {
    if (!prec_present_) return s;
    std::size_t i = 0;
    for (std::int64_t n = 0; i < s.size() && n < prec_; ++n) {
      i += DecodeUtf8OrReplacement(s.substr(i)).length;
    }
    return s.substr(0, i);
  }

  void FmtS(std::string_view s) { Pad(Truncate(s)); }

  static bool CanBackquote(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
      std::optional<Utf8Sequence> d = DecodeUtf8(s.substr(i));
      if (!d) return false;  // a byte that starts no well-formed sequence
      if (d->length == 1) {
        char c = s[i];
        if ((c < ' ' && c != '\t') || c == '`' || c == 0x7F) return false;
      } else if (d->code_point == 0xFEFF) {
        return false;
      }
      i += d->length;
    }
    return true;
  }

  void FmtQ(std::string_view s) {
    s = Truncate(s);
    if (sharp_ && CanBackquote(s)) {
      Pad("`" + std::string(s) + "`");
      return;
    }
    Pad(GoQuote(s, plus_));
  }

  void FmtSx(std::string_view s, bool upper) {
    const char* digits = upper ? "0123456789ABCDEFX" : "0123456789abcdefx";
    std::size_t length = s.size();
    if (prec_present_ && prec_ < static_cast<std::int64_t>(length)) {
      length = static_cast<std::size_t>(prec_);
    }
    std::int64_t width = 2 * static_cast<std::int64_t>(length);
    if (width > 0) {
      if (space_) {
        if (sharp_) width *= 2;
        width += static_cast<std::int64_t>(length) - 1;
      } else if (sharp_) {
        width += 2;
      }
    } else {
      if (wid_present_) WritePadding(wid_);
      return;
    }
    if (wid_present_ && wid_ > width && !minus_) WritePadding(wid_ - width);
    if (sharp_) {
      out_.push_back('0');
      out_.push_back(digits[16]);
    }
    for (std::size_t k = 0; k < length; ++k) {
      if (space_ && k > 0) {
        out_.push_back(' ');
        if (sharp_) {
          out_.push_back('0');
          out_.push_back(digits[16]);
        }
      }
      auto c = static_cast<unsigned char>(s[k]);
      out_.push_back(digits[c >> 4]);
      out_.push_back(digits[c & 15]);
    }
    if (wid_present_ && wid_ > width && minus_) WritePadding(wid_ - width);
  }

  void FmtStringVerb(const std::string& s, std::uint32_t verb, const Arg& a) {
    switch (verb) {
      case 'v':
        if (sharp_v_) {
          FmtQ(s);
        } else {
          FmtS(s);
        }
        return;
      case 's':
        FmtS(s);
        return;
      case 'x':
        FmtSx(s, false);
        return;
      case 'X':
        FmtSx(s, true);
        return;
      case 'q':
        FmtQ(s);
        return;
      default:
        BadVerb(a, verb);
    }
  }

  std::vector<Arg> args_;
  std::string out_;
  bool sharp_ = false, zero_ = false, plus_ = false, minus_ = false, space_ = false;
  bool sharp_v_ = false, plus_v_ = false;
  bool wid_present_ = false, prec_present_ = false;
  std::int64_t wid_ = 0, prec_ = 0;
  bool good_arg_num_ = true;
  bool reordered_ = false;
};

}  // namespace

Result<json::value> Sprintf(const BuiltinContext&, std::span<const json::value> args) {
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(std::string_view format, StringOperand(kName, args, 1));
  if (!args[1].is_array()) return std::unexpected(OperandTypeError(kName, 2, "array", args[1]));
  std::vector<Arg> values;
  values.reserve(args[1].get_array().size());
  for (const json::value& v : args[1].get_array()) values.push_back(ToArg(v));
  KW_ASSIGN_OR_RETURN(std::string out, Printer(std::move(values)).Run(format));
  return json::value(json::string(out));
}

}  // namespace kw::runtime::opa::internal
