// cel/libraries.h: CEL's extension libraries, as cel-go (ext/) and Kubernetes define them, on
// the function registry (cel/functions.h). Each Register* adds one library to a registry built
// from FunctionRegistry::Standard(); KubernetesLibraries() is the registry Kubernetes compiles
// ValidatingAdmissionPolicy and matchConditions expressions with.
//
//   CompileOptions options;
//   options.functions = &KubernetesLibraries();
//   auto program = Program::Compile("object.metadata.name.lowerAscii().split('-').size() < 4", options);
//
// Behaviour and error texts are cel-go's and Kubernetes' (the texts quoted in each ext_*.cc).
// Every function charges what it scans or builds (CallContext::Charge) and refuses to build
// past CallContext's size bounds.
#ifndef KW_CEL_LIBRARIES_H_
#define KW_CEL_LIBRARIES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cel/functions.h"

namespace kw::cel {

// cel-go ext.Strings (version 2+): charAt, indexOf, lastIndexOf, lowerAscii, upperAscii,
// replace, split, substring, trim, join, format, quote/strings.quote, reverse.
void RegisterStringsLibrary(FunctionRegistry& registry);
// cel-go ext.Lists (slice, flatten, distinct, reverse, sort, lists.range, and
// @sortByAssociatedKeys, what the parser's `l.sortBy(x, key)` macro calls) and Kubernetes' list
// library (isSorted, sum, min, max, indexOf, lastIndexOf).
void RegisterListsLibrary(FunctionRegistry& registry);
// cel-go ext.Sets: sets.contains, sets.equivalent, sets.intersects.
void RegisterSetsLibrary(FunctionRegistry& registry);
// cel-go ext.Math: greatest/least, rounding, abs, sign, isInf/isNaN/isFinite, bitwise, sqrt.
void RegisterMathLibrary(FunctionRegistry& registry);
// cel-go ext.Encoders: base64.encode, base64.decode.
void RegisterEncodersLibrary(FunctionRegistry& registry);
// Kubernetes' regex library: find, findAll (Go's regexp).
void RegisterRegexLibrary(FunctionRegistry& registry);
// cel-go's optional types: optional.of/none/ofNonZeroValue, hasValue, value, orValue, or,
// first/last of lists, the optMap/optFlatMap macros (expanded by the parser with the optional
// syntax), and the optional syntax (`a.?b`, `a[?i]`, `[?e]`, `{?k: v}`;
// ParseOptions::enable_optional_syntax). Selecting (`o.f`) or indexing (`o[i]`) an optional
// value chains as `o.?f` / `o[?i]` do; indexing needs the library registered before the
// standard library (whose `_[_]` refuses opaque values), as KubernetesLibraries() does.
void RegisterOptionalLibrary(FunctionRegistry& registry);
// What type() of an optional value returns.
extern const std::string_view kOptionalTypeName;
// For the library sources: optional.of(value) and optional.none().
Value OptionalOf(Value value);
Value OptionalNone();
// Kubernetes' IP and CIDR libraries: isIP, ip(), ip.isCanonical, family, isUnspecified,
// isLoopback, isLinkLocalMulticast, isLinkLocalUnicast, isGlobalUnicast; isCIDR, cidr(),
// containsIP, containsCIDR, ip(), masked, prefixLength; string() of both (types net.IP and
// net.CIDR). Its `string` overload must precede the standard library's (which refuses opaque
// values): register it into a registry before RegisterStandardLibrary.
void RegisterNetLibrary(FunctionRegistry& registry);
// Kubernetes' quantity library: isQuantity, quantity(), sign, isGreaterThan, isLessThan,
// compareTo, add, sub, asInteger, asApproximateFloat, isInteger (type kubernetes.Quantity).
void RegisterQuantityLibrary(FunctionRegistry& registry);
// Kubernetes' semver library (version 0): isSemver, semver(), isGreaterThan, isLessThan,
// compareTo, major, minor, patch (type kubernetes.Semver).
void RegisterSemverLibrary(FunctionRegistry& registry);
// Kubernetes' URL library: isURL, url(), getScheme, getHost, getHostname, getPort,
// getEscapedPath, getQuery (type kubernetes.URL).
void RegisterUrlLibrary(FunctionRegistry& registry);
// For the library sources: Go's url.ParseRequestURI error for `text` ("parse \"x\": invalid URI
// for request"), nullopt when it parses.
std::optional<std::string> RequestUriError(std::string_view text);
// Kubernetes' format library (since 1.31): format.named(name) and format.<name>() for the
// named formats (dns1123Label, dns1123Subdomain, dns1035Label, qualifiedName, their *Prefix
// variants, labelValue, uri, uuid, byte, date, datetime), and
// <kubernetes.NamedFormat>.validate(s): optional.none() when valid, else apimachinery's messages.
void RegisterFormatLibrary(FunctionRegistry& registry);

// Kubernetes' authorizer library (the admission environment's `authorizer` of type
// kubernetes.authorization.Authorizer: group/resource/subresource/namespace/name/check, path,
// serviceAccount, fieldSelector/labelSelector, and Decision's allowed/reason/errored/error), for
// the checker only: its functions never evaluate (they return an error). Not in
// KubernetesLibraries(); callers add it to a copy and declare the variables `authorizer`
// (kAuthorizerTypeName) and `authorizer.requestResource` (kResourceCheckTypeName).
void RegisterAuthorizerLibrary(FunctionRegistry& registry);
extern const std::string_view kAuthorizerTypeName;
extern const std::string_view kResourceCheckTypeName;

// Standard() plus every library above (the authorizer's declarations excepted).
const FunctionRegistry& KubernetesLibraries();

// For the library sources: adds one overload typed by `signature` (cel/checker.h's syntax, e.g.
// "(list(A), A) -> int", the receiver first), from which the evaluator's parameter kinds are
// derived (type parameters and dyn accept any kind, opaque types any opaque value: `impl`
// checks which). The signature is the library's cel-go/Kubernetes declaration, so the checker
// infers result types and refuses misuse; a malformed one is a bug that checker_test reports.
void AddOverload(FunctionRegistry& registry, std::string name, bool receiver, std::string_view signature,
                 FunctionImpl impl);

}  // namespace kw::cel

#endif  // KW_CEL_LIBRARIES_H_
