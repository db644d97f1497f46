// The registry Kubernetes compiles ValidatingAdmissionPolicy and matchConditions expressions
// with: the standard library plus the extension libraries it enables.
#include "cel/libraries.h"

namespace kw::cel {

const FunctionRegistry& KubernetesLibraries() {
  static const FunctionRegistry* registry = [] {
    auto* r = new FunctionRegistry(FunctionRegistry::Standard());
    RegisterStringsLibrary(*r);
    RegisterListsLibrary(*r);
    RegisterSetsLibrary(*r);
    RegisterMathLibrary(*r);
    RegisterEncodersLibrary(*r);
    RegisterRegexLibrary(*r);
    RegisterOptionalLibrary(*r);
    return r;
  }();
  return *registry;
}

}  // namespace kw::cel
