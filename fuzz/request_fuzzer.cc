// Untrusted request bodies: /validate, /validate_raw and kwctl request files. Whatever is
// accepted must give a request text that is valid JSON and the same values as a DOM parse of the
// body: the raw request, `object` (which request.cc copies as a text slice found by
// json_text.h's walk).
#include <cstdint>
#include <string>
#include <string_view>

#include "admission/request.h"
#include "base/json.h"

namespace {

using kw::json::value;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// The request text parses, and so does the original object.
void CheckRequest(const kw::Result<kw::admission::ValidationRequest>& request) {
  if (!request) return;
  Check(kw::ParseJson(request->json()).has_value());
  Check(request->OriginalObject().has_value());
}

const value* Member(const value& v, std::string_view key) { return kw::FindKey(v, key); }

bool Same(const kw::Result<value>& a, const value& b) { return a.has_value() && *a == b; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Boost.JSON (OriginalObject, ParseJson) and simdjson (the request parsers) must agree. The one
  // known exception: an exponent beyond INT_MAX, which Boost refuses ("exponent
  // overflow") where simdjson reads 0e9999999999 and 1e-9999999999 as zero.
  if (auto whole = kw::ParseJson(text);
      !whole && whole.error().message.find("exponent overflow") != std::string::npos) {
    return 0;
  }
  CheckRequest(kw::admission::ParseAdmissionReview(text));
  CheckRequest(kw::admission::ParseRawReview(text));

  // What simdjson accepts, Boost.JSON accepts too (same depth bound), with the same values.
  if (auto raw = kw::admission::ParseKwctlRequest(text, /*raw=*/true)) {
    auto whole = kw::ParseJson(text);
    Check(whole.has_value());
    Check(Same(kw::ParseJson(raw->json()), *whole));
    Check(Same(raw->OriginalObject(), *whole));
  }
  if (auto request = kw::admission::ParseKwctlRequest(text, /*raw=*/false)) {
    CheckRequest(request);
    auto whole = kw::ParseJson(text);
    Check(whole.has_value());
    // Accepted means no duplicate known fields, so Boost's last-wins lookup finds the same ones.
    const value* kind = Member(*whole, "kind");
    const bool review =
        kind != nullptr && kind->is_string() && kind->get_string() == "AdmissionReview";
    const value* body = review ? Member(*whole, "request") : &*whole;
    Check(body != nullptr);
    const value* object = Member(*body, "object");
    Check(Same(request->OriginalObject(), object != nullptr ? *object : value()));
    Check(Member(*kw::ParseJson(request->json()), "uid")->get_string() == request->uid());
  }
  return 0;
}
