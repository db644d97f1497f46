// The registry Kubernetes compiles ValidatingAdmissionPolicy and matchConditions expressions
// with: the standard library plus the extension libraries it enables.
#include "cel/libraries.h"

namespace kw::cel {

const FunctionRegistry& KubernetesLibraries() {
  static const FunctionRegistry* registry = [] {
    // Overloads of standard names on opaque values come first (the first that accepts runs).
    auto* r = new FunctionRegistry();
    RegisterNetLibrary(*r);
    RegisterOptionalLibrary(*r);
    RegisterStandardLibrary(*r);
    RegisterStringsLibrary(*r);
    RegisterListsLibrary(*r);
    RegisterSetsLibrary(*r);
    RegisterMathLibrary(*r);
    RegisterEncodersLibrary(*r);
    RegisterRegexLibrary(*r);
    RegisterQuantityLibrary(*r);
    RegisterSemverLibrary(*r);
    RegisterUrlLibrary(*r);
    RegisterFormatLibrary(*r);
    return r;
  }();
  return *registry;
}

}  // namespace kw::cel
