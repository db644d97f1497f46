// Kubernetes' authorizer library (k8s.io/apiserver library.Authz and AuthzSelectors), as
// declarations: the types and functions the API server's admission environment gives
// matchConditions, so that conditions using `authorizer` type-check with its texts. Nothing
// here evaluates: the controller only compiles conditions (the API server runs them) and
// cel-policy does not offer authorization checks, so every implementation is an error.
#include "cel/libraries.h"

namespace kw::cel {

const std::string_view kAuthorizerTypeName = "kubernetes.authorization.Authorizer";
const std::string_view kResourceCheckTypeName = "kubernetes.authorization.ResourceCheck";

void RegisterAuthorizerLibrary(FunctionRegistry& r) {
  struct Declared {
    const char* name;
    const char* signature;
  };
  // Kubernetes' member overloads, in its order.
  constexpr Declared kDeclared[] = {
      {"path", "(kubernetes.authorization.Authorizer, string) -> kubernetes.authorization.PathCheck"},
      {"group", "(kubernetes.authorization.Authorizer, string) -> kubernetes.authorization.GroupCheck"},
      {"serviceAccount",
       "(kubernetes.authorization.Authorizer, string, string) -> kubernetes.authorization.Authorizer"},
      {"resource", "(kubernetes.authorization.GroupCheck, string) -> kubernetes.authorization.ResourceCheck"},
      {"subresource", "(kubernetes.authorization.ResourceCheck, string) -> kubernetes.authorization.ResourceCheck"},
      {"namespace", "(kubernetes.authorization.ResourceCheck, string) -> kubernetes.authorization.ResourceCheck"},
      {"name", "(kubernetes.authorization.ResourceCheck, string) -> kubernetes.authorization.ResourceCheck"},
      {"check", "(kubernetes.authorization.PathCheck, string) -> kubernetes.authorization.Decision"},
      {"check", "(kubernetes.authorization.ResourceCheck, string) -> kubernetes.authorization.Decision"},
      {"errored", "(kubernetes.authorization.Decision) -> bool"},
      {"error", "(kubernetes.authorization.Decision) -> string"},
      {"allowed", "(kubernetes.authorization.Decision) -> bool"},
      {"reason", "(kubernetes.authorization.Decision) -> string"},
      // AuthzSelectors (Kubernetes 1.31+).
      {"fieldSelector", "(kubernetes.authorization.ResourceCheck, string) -> kubernetes.authorization.ResourceCheck"},
      {"labelSelector", "(kubernetes.authorization.ResourceCheck, string) -> kubernetes.authorization.ResourceCheck"},
  };
  for (const Declared& d : kDeclared) {
    AddOverload(r, d.name, true, d.signature, [name = std::string(d.name)](std::span<const Value>, CallContext&) {
      return Value::Error("authorizer." + name + "() cannot be evaluated here: authorization checks are not supported");
    });
  }
}

}  // namespace kw::cel
