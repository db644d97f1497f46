// cel-policy (policies.md §33): evaluates CEL validations modelled on Kubernetes'
// ValidatingAdmissionPolicy. The settings are compiled (parsed, type-checked, planned) once and
// kept across requests, keyed by their JSON text: kwctl and the policy-server send the same
// settings with every request of a policy.
#include <kubewarden/kubewarden.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cel/checker.h"
#include "cel/libraries.h"
#include "cel/program.h"
#include "cel/stack.h"
#include "cel/value.h"
#include "kw_libraries.h"

namespace sdk = kubewarden;
namespace cel = kw::cel;


namespace {

// The module links with a 1 MiB stack (CMakeLists.txt); leave room for the SDK's frames.
constexpr std::size_t kCelStackBudget = 900 * 1024;

// The standard library plus Kubernetes' and cel-go's extensions (strings, lists, sets, math,
// base64, regex, quantity, URL, IP/CIDR, optional) and the host capabilities' kw.* libraries.
const cel::FunctionRegistry& Functions() {
  static const cel::FunctionRegistry registry = [] {
    cel::FunctionRegistry r = cel::KubernetesLibraries();
    kw::cel_policy::RegisterKubewardenLibraries(r);
    return r;
  }();
  return registry;
}

struct CompiledVariable {
  std::string qualified_name;  // "variables.<name>", what expressions read
  cel::Program program;
};

struct CompiledValidation {
  std::string expression;
  std::optional<cel::Program> program;  // always set once compiled (Program has no empty state)
  std::optional<std::string> message;
  std::optional<cel::Program> message_expression;
  std::uint16_t code = 400;
};

struct ParamRef {
  std::string name;
  std::string namespace_name;
  std::optional<std::string> selector;  // the label selector's text; "" selects everything
  bool allow_when_not_found = false;
};

struct Policy {
  std::vector<CompiledVariable> variables;
  std::vector<CompiledValidation> validations;
  bool fail_closed = true;  // failurePolicy Fail
  std::optional<std::pair<std::string, std::string>> param_kind;  // apiVersion, kind
  std::optional<ParamRef> param_ref;
};

// Go's %q of a valid UTF-8 string: how Kubernetes' field errors print a value.
std::string GoQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += "\\x";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// Kubernetes' field errors, rendered as go-multierror renders a list of them.
class FieldErrors {
 public:
  void Required(std::string_view path, std::string_view detail) {
    items_.push_back(std::string(path) + ": Required value: " + std::string(detail));
  }
  void Invalid(std::string_view path, std::string_view value, std::string_view detail) {
    items_.push_back(std::string(path) + ": Invalid value: " + GoQuote(value) + ": " + std::string(detail) +
                     ":");
  }
  void Unsupported(std::string_view path, std::string_view value) {
    items_.push_back(std::string(path) + ": Unsupported value: " + GoQuote(value));
  }
  bool empty() const { return items_.empty(); }
  std::string Render() const {
    std::string out = std::to_string(items_.size()) +
                      (items_.size() == 1 ? " error occurred:" : " errors occurred:");
    for (const std::string& item : items_) out += "\n\t* " + item;
    return out + "\n\n";
  }

 private:
  std::vector<std::string> items_;
};

bool IsCelIdentifier(std::string_view name) {
  static constexpr std::string_view kReserved[] = {
      "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function",
      "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"};
  if (name.empty()) return false;
  for (std::string_view word : kReserved) {
    if (name == word) return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

std::string_view TrimSpace(std::string_view s) {
  const std::string_view space = " \t\n\r\v\f";
  std::size_t begin = s.find_first_not_of(space);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(space) - begin + 1);
}

std::optional<std::uint16_t> ReasonCode(std::string_view reason) {
  if (reason.empty() || reason == "Invalid") return 400;
  if (reason == "Unauthorized") return 401;
  if (reason == "Forbidden") return 403;
  if (reason == "RequestEntityTooLarge") return 413;
  return std::nullopt;
}

// A Kubernetes LabelSelector as the selector text the host expects.
std::string SelectorText(const sdk::json::Value& selector) {
  std::string out;
  auto add = [&out](std::string_view part) {
    if (!out.empty()) out += ',';
    out += part;
  };
  if (const sdk::json::Value* labels = selector.GetObject("matchLabels")) {
    for (const sdk::json::Value& label : *labels) {
      add(std::string(label.key()) + "=" + std::string(label.AsString().value_or("")));
    }
  }
  if (const sdk::json::Value* expressions = selector.GetArray("matchExpressions")) {
    for (const sdk::json::Value& e : *expressions) {
      std::string key(e.GetString("key").value_or(""));
      std::string_view op = e.GetString("operator").value_or("");
      std::string values;
      if (const sdk::json::Value* list = e.GetArray("values")) {
        for (const sdk::json::Value& v : *list) {
          if (!values.empty()) values += ',';
          values += v.AsString().value_or("");
        }
      }
      if (op == "In") add(key + " in (" + values + ")");
      else if (op == "NotIn") add(key + " notin (" + values + ")");
      else if (op == "Exists") add(key);
      else if (op == "DoesNotExist") add("!" + key);
    }
  }
  return out;
}

std::string_view StringField(const sdk::json::Value& object, std::string_view key) {
  return object.GetString(key).value_or("");
}

cel::CompileOptions Options() {
  cel::CompileOptions options;
  options.functions = &Functions();
  options.parse.max_stack_bytes = kCelStackBudget;
  // Kubernetes' environments parse CEL's optional syntax (`a.?b`, `[?x]`, optMap), as the
  // optional library registered with the others expects.
  options.parse.enable_optional_syntax = true;
  return options;
}

// Parses, checks against `decls` and plans; the checked result type goes to `result`.
std::expected<cel::Program, std::string> Compile(std::string_view source, const cel::Declarations& decls,
                                                 const cel::Type& required, cel::Type* result) {
  cel::CompileOptions options = Options();
  auto expr = cel::Parse(source, options.parse);
  if (!expr) return std::unexpected(expr.error());
  auto checked = cel::Check(**expr, source, decls, kCelStackBudget);
  if (!checked) return std::unexpected(checked.error());
  using K = cel::Type::Kind;
  if (required.kind != K::kDyn && checked->result.kind != K::kDyn && !(checked->result == required)) {
    return std::unexpected("must evaluate to " + cel::FormatType(required));
  }
  if (result) *result = checked->result;
  return cel::Program::Plan(**expr, options);
}

const char* GoJsonType(const sdk::json::Value& v) {
  if (v.IsString()) return "string";
  if (v.IsNumber()) return "number";
  if (v.IsBool()) return "bool";
  if (v.IsArray()) return "array";
  return "object";
}

// Go's encoding/json type check of the settings' shape (null is absent everywhere): the
// error, as `json.Unmarshal` words it, for the first mistyped field.
std::optional<std::string> ShapeError(const sdk::json::Value& settings) {
  enum class Want { kString, kArray, kObject };
  struct Field {
    std::string_view key;
    Want want;
    std::string_view go_type;
  };
  auto mismatch = [](const sdk::json::Value& v, Want want) {
    if (v.IsNull()) return false;
    switch (want) {
      case Want::kString: return !v.IsString();
      case Want::kArray: return !v.IsArray();
      case Want::kObject: return !v.IsObject();
    }
    return false;
  };
  auto check = [&](const sdk::json::Value& object, std::string_view struct_name,
                   std::initializer_list<Field> fields) -> std::optional<std::string> {
    for (const Field& field : fields) {
      const sdk::json::Value* v = object.Find(field.key);
      if (v && mismatch(*v, field.want)) {
        return "json: cannot unmarshal " + std::string(GoJsonType(*v)) + " into Go struct field " +
               std::string(struct_name) + "." + std::string(field.key) + " of type " + std::string(field.go_type);
      }
    }
    return std::nullopt;
  };
  if (!settings.IsObject()) {
    return "json: cannot unmarshal " + std::string(GoJsonType(settings)) + " into Go value of type settings.Settings";
  }
  if (auto e = check(settings, "Settings", {{"variables", Want::kArray, "[]settings.Variable"},
                                            {"validations", Want::kArray, "[]settings.Validation"},
                                            {"failurePolicy", Want::kString, "string"},
                                            {"paramKind", Want::kObject, "settings.ParamKind"},
                                            {"paramRef", Want::kObject, "settings.ParamRef"}})) {
    return e;
  }
  auto each = [&](std::string_view key, std::string_view struct_name,
                  std::initializer_list<Field> fields) -> std::optional<std::string> {
    const sdk::json::Value* list = settings.GetArray(key);
    if (!list) return std::nullopt;
    for (const sdk::json::Value& item : *list) {
      if (mismatch(item, Want::kObject)) {
        return "json: cannot unmarshal " + std::string(GoJsonType(item)) + " into Go struct field Settings." +
               std::string(key) + " of type settings." + std::string(struct_name);
      }
      if (item.IsObject()) {
        if (auto e = check(item, std::string("Settings.") + std::string(key), fields)) return e;
      }
    }
    return std::nullopt;
  };
  if (auto e = each("variables", "Variable", {{"name", Want::kString, "string"}, {"expression", Want::kString, "string"}})) {
    return e;
  }
  if (auto e = each("validations", "Validation",
                    {{"expression", Want::kString, "string"}, {"message", Want::kString, "string"},
                     {"messageExpression", Want::kString, "string"}, {"reason", Want::kString, "string"}})) {
    return e;
  }
  if (const sdk::json::Value* kind = settings.GetObject("paramKind")) {
    if (auto e = check(*kind, "Settings.paramKind", {{"apiVersion", Want::kString, "string"}, {"kind", Want::kString, "string"}})) {
      return e;
    }
  }
  if (const sdk::json::Value* ref = settings.GetObject("paramRef")) {
    if (auto e = check(*ref, "Settings.paramRef",
                       {{"name", Want::kString, "string"}, {"namespace", Want::kString, "string"},
                        {"selector", Want::kObject, "v1.LabelSelector"},
                        {"parameterNotFoundAction", Want::kString, "string"}})) {
      return e;
    }
  }
  return std::nullopt;
}

// Decodes, checks and compiles the settings; the error is the settings-validation message.
std::expected<Policy, std::string> BuildPolicy(const sdk::json::Value& settings) {
  if (!settings.IsNull()) {
    if (auto error = ShapeError(settings)) return std::unexpected("cannot unmarshal settings: " + *error);
  }
  Policy policy;
  FieldErrors errors;
  cel::Declarations decls(&Functions());
  for (std::string_view name : {"object", "oldObject", "request", "namespaceObject", "params"}) {
    decls.AddVariable(std::string(name), cel::Type::Dyn());
  }

  const sdk::json::Value* variables = settings.IsObject() ? settings.Find("variables") : nullptr;
  if (variables && variables->IsArray()) {
    std::size_t i = 0;
    for (const sdk::json::Value& v : *variables) {
      std::string path = "spec.variables[" + std::to_string(i++) + "]";
      std::string_view name = StringField(v, "name");
      std::string_view expression = StringField(v, "expression");
      if (name.empty()) {
        errors.Required(path + ".name", "name is not specified");
      } else if (!IsCelIdentifier(name)) {
        errors.Invalid(path + ".name", name, "name is not a valid CEL identifier");
      } else if (name == "params") {
        errors.Invalid(path + ".name", name, "name is reserved");
      }
      if (expression.empty()) {
        errors.Required(path + ".expression", "expression is not specified");
        continue;
      }
      cel::Type type;
      auto program = Compile(expression, decls, cel::Type::Dyn(), &type);
      if (!program) {
        errors.Invalid(path + ".expression", expression, program.error());
        continue;
      }
      std::string qualified = "variables." + std::string(name);
      decls.AddVariable(qualified, type);
      policy.variables.push_back({std::move(qualified), std::move(*program)});
    }
  }

  const sdk::json::Value* validations = settings.IsObject() ? settings.Find("validations") : nullptr;
  if (!validations || !validations->IsArray() || validations->empty()) {
    errors.Required("spec.validations", "validations must contain at least one item");
  } else {
    std::size_t i = 0;
    for (const sdk::json::Value& v : *validations) {
      std::string path = "spec.validations[" + std::to_string(i++) + "]";
      CompiledValidation out{std::string(StringField(v, "expression")), {}, {}, {}, 400};
      bool ok = true;
      if (out.expression.empty()) {
        errors.Required(path + ".expression", "expression is not specified");
        ok = false;
      } else if (auto program = Compile(out.expression, decls, cel::Type::Bool(), nullptr)) {
        out.program = std::move(*program);
      } else {
        errors.Invalid(path + ".expression", out.expression, program.error());
        ok = false;
      }
      if (auto message = v.GetString("message")) {
        if (TrimSpace(*message).empty()) {
          errors.Invalid(path + ".message", *message, "message must be non-empty if specified");
          ok = false;
        } else if (message->find_first_of("\r\n") != std::string_view::npos) {
          errors.Invalid(path + ".message", *message, "message must not contain line breaks");
          ok = false;
        }
        out.message = std::string(*message);
      }
      if (auto message_expression = v.GetString("messageExpression"); message_expression && !message_expression->empty()) {
        if (auto program = Compile(*message_expression, decls, cel::Type::String(), nullptr)) {
          out.message_expression = std::move(*program);
        } else {
          errors.Invalid(path + ".messageExpression", *message_expression, program.error());
          ok = false;
        }
      }
      std::string_view reason = StringField(v, "reason");
      if (auto code = ReasonCode(reason)) {
        out.code = *code;
      } else {
        errors.Unsupported(path + ".reason", reason);
        ok = false;
      }
      if (ok) policy.validations.push_back(std::move(out));
    }
  }

  std::string_view failure_policy = settings.IsObject() ? StringField(settings, "failurePolicy") : "";
  if (failure_policy == "Ignore") {
    policy.fail_closed = false;
  } else if (!failure_policy.empty() && failure_policy != "Fail") {
    errors.Unsupported("spec.failurePolicy", failure_policy);
  }

  const sdk::json::Value* param_kind = settings.IsObject() ? settings.GetObject("paramKind") : nullptr;
  const sdk::json::Value* param_ref = settings.IsObject() ? settings.GetObject("paramRef") : nullptr;
  if (param_kind) {
    std::string_view api_version = StringField(*param_kind, "apiVersion");
    std::string_view kind = StringField(*param_kind, "kind");
    if (api_version.empty()) errors.Required("spec.paramKind.apiVersion", "apiVersion is not specified");
    if (kind.empty()) errors.Required("spec.paramKind.kind", "kind is not specified");
    policy.param_kind.emplace(api_version, kind);
    if (!param_ref) errors.Required("spec.paramRef", "paramRef is required when paramKind is set");
  }
  if (param_ref) {
    if (!param_kind) errors.Required("spec.paramKind", "paramKind is required when paramRef is set");
    ParamRef ref;
    ref.name = StringField(*param_ref, "name");
    ref.namespace_name = StringField(*param_ref, "namespace");
    const sdk::json::Value* selector = param_ref->GetObject("selector");
    if (selector) ref.selector = SelectorText(*selector);
    if (ref.name.empty() == !selector) {
      errors.Invalid("spec.paramRef", ref.name, "one of name or selector must be specified");
    }
    std::string_view action = StringField(*param_ref, "parameterNotFoundAction");
    if (action == "Allow") {
      ref.allow_when_not_found = true;
    } else if (!action.empty() && action != "Deny") {
      errors.Unsupported("spec.paramRef.parameterNotFoundAction", action);
    }
    policy.param_ref = std::move(ref);
  }

  if (!errors.empty()) return std::unexpected("The settings are invalid: " + errors.Render());
  return policy;
}

// The compiled policy of the last settings seen.
const Policy* CachedPolicy(const sdk::json::Value& settings, std::string* error) {
  static std::string cached_key;
  static std::unique_ptr<Policy> cached;
  std::string key = sdk::json::Serialize(settings);
  if (cached && key == cached_key) return cached.get();
  auto built = BuildPolicy(settings);
  if (!built) {
    *error = built.error();
    return nullptr;
  }
  cached = std::make_unique<Policy>(std::move(*built));
  cached_key = std::move(key);
  return cached.get();
}

cel::EvalOptions EvalOptions() {
  cel::EvalOptions options;
  options.max_stack_bytes = kCelStackBudget;
  return options;
}

// The expressions' variables. namespaceObject is fetched on first use only, and each of
// `variables.<name>` (bound by its qualified name, cel/program.h) is evaluated on first read and
// kept for the rest of the request (spec: lazy), so a variable that fails fails only the
// expressions whose evaluation reads it.
class RequestActivation : public cel::Activation {
 public:
  RequestActivation(const sdk::ValidationRequest& request, cel::Value params,
                    const std::vector<CompiledVariable>& variables)
      : request_(request), params_(std::move(params)), variables_(variables),
        variable_values_(variables.size()) {
    const sdk::json::Value& admission = request.request();
    object_ = JsonOrNull(admission.Find("object"));
    const sdk::json::Value* old_object = admission.Find("oldObject");
    old_object_ = old_object && !old_object->IsNull() ? cel::Value::FromJson(*old_object, nullptr)
                                                      : cel::Value::Map({});
    request_value_ = cel::Value::FromJson(admission, nullptr);
  }

  const cel::Value* Find(std::string_view name) const override {
    if (name == "object") return &object_;
    if (name == "oldObject") return &old_object_;
    if (name == "request") return &request_value_;
    if (name == "params") return &params_;
    if (name == "namespaceObject") {
      if (!namespace_object_) namespace_object_ = FetchNamespace();
      return &*namespace_object_;
    }
    if (name.starts_with("variables.")) return FindVariable(name);
    return nullptr;
  }

 private:
  static cel::Value JsonOrNull(const sdk::json::Value* node) {
    return node ? cel::Value::FromJson(*node, nullptr) : cel::Value::Null();
  }

  // A variable reads only earlier ones (the checker declares them in order), so evaluating one
  // here never comes back to itself.
  const cel::Value* FindVariable(std::string_view qualified_name) const {
    for (std::size_t i = 0; i < variables_.size(); ++i) {
      if (variables_[i].qualified_name != qualified_name) continue;
      if (!variable_values_[i]) {
        // Evaluated on the stack of the expression reading it: within what is left.
        cel::EvalOptions options = EvalOptions();
        options.max_stack_bytes = stack_.Remaining();
        variable_values_[i] = variables_[i].program.Evaluate(*this, options);
      }
      return &*variable_values_[i];
    }
    return nullptr;
  }

  cel::Value FetchNamespace() const {
    std::string_view ns = request_.namespace_name();
    if (ns.empty()) return cel::Value::Null();
    auto found = sdk::host::GetResource(namespace_doc_, "v1", "Namespace", ns, "");
    if (!found) return cel::Value::Error("cannot get namespace " + std::string(ns) + ": " + found.error());
    return cel::Value::FromJson(**found, nullptr);
  }

  const sdk::ValidationRequest& request_;
  cel::Value params_;
  const std::vector<CompiledVariable>& variables_;
  cel::StackBudget stack_{kCelStackBudget};  // from the frame that evaluates the expressions
  // Pointers into it outlive evaluations: it never grows after construction.
  mutable std::vector<std::optional<cel::Value>> variable_values_;
  cel::Value object_, old_object_, request_value_;
  mutable sdk::json::Document namespace_doc_;
  mutable std::optional<cel::Value> namespace_object_;
};

// Evaluates the validations against one params value: nullopt when all hold, else the response.
std::optional<sdk::ValidationResponse> Evaluate(const Policy& policy, const sdk::ValidationRequest& request,
                                               cel::Value params) {
  const cel::EvalOptions options = EvalOptions();
  RequestActivation activation(request, std::move(params), policy.variables);
  for (const CompiledValidation& validation : policy.validations) {
    cel::Value result = validation.program->Evaluate(activation, options);
    if (result.IsErrorOrUnknown()) {
      return sdk::EvaluationError("expression '" + validation.expression + "' resulted in error: " +
                                 std::string(result.text()));
    }
    if (result.kind() != cel::Kind::kBool) {
      return sdk::EvaluationError("expression '" + validation.expression + "' must evaluate to bool");
    }
    if (result.bool_value()) continue;
    std::string message;
    if (validation.message_expression) {
      cel::Value text = validation.message_expression->Evaluate(activation, options);
      if (text.kind() == cel::Kind::kString) message = TrimSpace(text.text());
    }
    if (message.empty() && validation.message) message = *validation.message;
    if (message.empty()) message = "failed expression: " + std::string(TrimSpace(validation.expression));
    return sdk::Reject(message, validation.code);
  }
  return std::nullopt;
}

sdk::SettingsValidationResponse ValidateSettings(const sdk::json::Value& settings) {
  std::string error;
  if (!CachedPolicy(settings, &error)) return sdk::SettingsInvalid(error);
  return sdk::SettingsValid();
}

sdk::ValidationResponse Validate(sdk::ValidationRequest& request) {
  std::string error;
  const Policy* policy = CachedPolicy(request.settings(), &error);
  if (!policy) return sdk::EvaluationError(error);

  if (!policy->param_kind || !policy->param_ref) {
    return Evaluate(*policy, request, cel::Value::Null()).value_or(sdk::Accept());
  }
  const auto& [api_version, kind] = *policy->param_kind;
  const ParamRef& ref = *policy->param_ref;
  std::string ns = ref.namespace_name.empty() ? std::string(request.namespace_name()) : ref.namespace_name;
  sdk::json::Document doc;
  std::vector<cel::Value> params;
  std::string fetch_error;
  if (!ref.selector) {
    auto found = sdk::host::GetResource(doc, api_version, kind, ref.name, ns);
    if (found) params.push_back(cel::Value::FromJson(**found, nullptr));
    else fetch_error = found.error();
  } else {
    auto list = sdk::host::ListResourcesByNamespace(doc, api_version, kind, ns, *ref.selector);
    const sdk::json::Value* items = list ? (*list)->GetArray("items") : nullptr;
    if (!list) fetch_error = list.error();
    else if (items == nullptr || items->empty()) fetch_error = "no parameters found";
    else for (const sdk::json::Value& item : *items) params.push_back(cel::Value::FromJson(item, nullptr));
  }
  if (!fetch_error.empty()) {
    if (ref.allow_when_not_found || !policy->fail_closed) return sdk::Accept();
    return sdk::Reject("failed to get params for performing policy evaluation: " + fetch_error, 400);
  }
  for (cel::Value& param : params) {
    if (auto rejected = Evaluate(*policy, request, std::move(param))) return std::move(*rejected);
  }
  return sdk::Accept();
}

}  // namespace

KUBEWARDEN_POLICY(Validate, ValidateSettings)
