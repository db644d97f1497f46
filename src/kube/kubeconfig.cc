#include "kube/kubeconfig.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <tuple>

#include "base/base64.h"
#include "base/files.h"
#include "base/json.h"
#include "base/json_fields.h"
#include "base/utf8.h"
#include "base/yaml.h"

namespace kw::kube {
namespace {

namespace fs = std::filesystem;

// Reads the fields of one kubeconfig entry, naming them by their dotted path in errors.
class FieldReader {
 public:
  FieldReader(const json::object& object, std::string path, std::string base_dir)
      : object_(object), path_(std::move(path)), base_dir_(std::move(base_dir)) {}

  bool Has(std::string_view key) const { return json_fields::FindSet(object_, key) != nullptr; }

  // Absent and null are "".
  Result<std::string> String(std::string_view key) const {
    const json::value* value = json_fields::FindSet(object_, key);
    if (value == nullptr) return std::string();
    return json_fields::GetString(*value, Field(key));
  }

  Result<bool> Bool(std::string_view key) const {
    const json::value* value = json_fields::FindSet(object_, key);
    if (value == nullptr) return false;
    if (!value->is_string()) return json_fields::WrongType(Field(key), "a boolean", *value);
    // The scalars are read as text (see ParseKubeconfig): these are YAML's booleans.
    const std::string_view text = value->get_string();
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    return json_fields::Invalid("field '" + Field(key) + "' must be true or false, got '" +
                                std::string(text) + "'");
  }

  // A path, made absolute against the kubeconfig's directory as kubectl does.
  Result<std::string> Path(std::string_view key) const {
    KW_ASSIGN_OR_RETURN(std::string path, String(key));
    if (path.empty() || fs::path(path).is_absolute()) return path;
    return (fs::path(base_dir_) / path).lexically_normal().string();
  }

  // `<key>-data` (base64) or `<key>` (a path), not both.
  Result<PemSource> Pem(std::string_view key) const {
    const std::string data_key = std::string(key) + "-data";
    PemSource pem;
    KW_ASSIGN_OR_RETURN(pem.file, Path(key));
    KW_ASSIGN_OR_RETURN(std::string encoded, String(data_key));
    if (!encoded.empty() && !pem.file.empty()) {
      return json_fields::Invalid(path_ + " sets both " + data_key + " and " + std::string(key));
    }
    // Go's base64 decoder, which reads []byte fields, skips line breaks.
    std::erase_if(encoded, [](char c) { return c == '\n' || c == '\r'; });
    if (encoded.size() / 4 * 3 > kMaxPemBytes) {
      return std::unexpected(TooLarge("field '" + Field(data_key) + "'", encoded.size() / 4 * 3,
                                      kMaxPemBytes));
    }
    auto decoded = Base64Decode(encoded);
    if (!decoded) return std::unexpected(decoded.error().Wrap("field '" + Field(data_key) + "'"));
    pem.data = std::move(*decoded);
    return pem;
  }

 private:
  std::string Field(std::string_view key) const { return path_ + "." + std::string(key); }

  const json::object& object_;
  std::string path_;
  std::string base_dir_;
};

Result<KubeconfigCluster> ParseCluster(const FieldReader& fields) {
  KubeconfigCluster cluster;
  KW_ASSIGN_OR_RETURN(cluster.server, fields.String("server"));
  KW_ASSIGN_OR_RETURN(cluster.certificate_authority, fields.Pem("certificate-authority"));
  KW_ASSIGN_OR_RETURN(cluster.insecure_skip_tls_verify, fields.Bool("insecure-skip-tls-verify"));
  KW_ASSIGN_OR_RETURN(cluster.tls_server_name, fields.String("tls-server-name"));
  KW_ASSIGN_OR_RETURN(cluster.proxy_url, fields.String("proxy-url"));
  return cluster;
}

Result<KubeconfigUser> ParseUser(const FieldReader& fields) {
  KubeconfigUser user;
  KW_ASSIGN_OR_RETURN(user.client_certificate, fields.Pem("client-certificate"));
  KW_ASSIGN_OR_RETURN(user.client_key, fields.Pem("client-key"));
  KW_ASSIGN_OR_RETURN(user.token, fields.String("token"));
  KW_ASSIGN_OR_RETURN(user.token_file, fields.Path("tokenFile"));
  if (fields.Has("exec")) {
    user.unsupported_method = "an exec plugin";
  } else if (fields.Has("auth-provider")) {
    user.unsupported_method = "an auth provider";
  } else if (fields.Has("username") || fields.Has("password")) {
    user.unsupported_method = "a username and password";
  }
  return user;
}

Result<KubeconfigContext> ParseContext(const FieldReader& fields) {
  KubeconfigContext context;
  KW_ASSIGN_OR_RETURN(context.cluster, fields.String("cluster"));
  KW_ASSIGN_OR_RETURN(context.user, fields.String("user"));
  KW_ASSIGN_OR_RETURN(context.namespace_name, fields.String("namespace"));
  return context;
}

// One of the three named lists, `<list>: [{name: n, <entry>: {...}}]`, into `out`. client-go
// refuses a name given twice in one file.
template <typename Entry, typename Parse>
Result<void> ParseNamedList(const json::object& root, std::string_view list, std::string_view entry,
                            const std::string& file, const std::string& base_dir,
                            std::map<std::string, Entry>& out, Parse parse) {
  const json::value* items = json_fields::FindSet(root, list);
  if (items == nullptr) return {};
  if (!items->is_array()) return json_fields::WrongType(list, "a list", *items);
  for (std::size_t i = 0; i < items->get_array().size(); ++i) {
    const json::value& item = items->get_array()[i];
    const std::string item_path = json_fields::Indexed(list, i);
    if (!item.is_object()) return json_fields::WrongType(item_path, "an object", item);
    KW_ASSIGN_OR_RETURN(const json::value* name_value,
                        json_fields::FindRequired(item.get_object(), "name", item_path + ".name"));
    KW_ASSIGN_OR_RETURN(std::string name, json_fields::GetString(*name_value, item_path + ".name"));
    if (name.empty()) return json_fields::Invalid("field '" + item_path + ".name' is empty");
    if (out.contains(name)) {
      return json_fields::Invalid(std::string(list) + ": '" + name + "' is defined twice");
    }
    static const json::object kEmpty;
    const json::value* body = json_fields::FindSet(item.get_object(), entry);
    const std::string body_path = item_path + "." + std::string(entry);
    if (body != nullptr && !body->is_object()) {
      return json_fields::WrongType(body_path, "an object", *body);
    }
    KW_ASSIGN_OR_RETURN(
        Entry parsed,
        parse(FieldReader(body ? body->get_object() : kEmpty, body_path, base_dir)));
    parsed.defined_in = file;
    out.emplace(std::move(name), std::move(parsed));
  }
  return {};
}

Result<Kubeconfig> ParseContent(std::string_view text, const std::string& path) {
  if (!IsValidUtf8(text)) return json_fields::Invalid("not UTF-8 text");
  // As text: see the header.
  KW_ASSIGN_OR_RETURN(json::value doc,
                      ParseYamlAsJson(text, "invalid YAML", YamlScalars::kAsStrings));
  Kubeconfig config;
  config.files.push_back(path);
  if (doc.is_null()) return config;
  if (!doc.is_object()) return json_fields::WrongType("kubeconfig", "an object", doc);
  const json::object& root = doc.get_object();
  std::error_code ignored;
  const std::string base_dir = fs::absolute(path, ignored).parent_path().string();
  KW_TRY(ParseNamedList(root, "clusters", "cluster", path, base_dir, config.clusters, ParseCluster));
  KW_TRY(ParseNamedList(root, "users", "user", path, base_dir, config.users, ParseUser));
  KW_TRY(ParseNamedList(root, "contexts", "context", path, base_dir, config.contexts, ParseContext));
  const FieldReader top(root, "kubeconfig", base_dir);
  KW_ASSIGN_OR_RETURN(config.current_context, top.String("current-context"));
  return config;
}

Result<std::string> ReadPem(const PemSource& source) {
  if (source.file.empty()) return source.data;
  return ReadFile(source.file, kMaxPemBytes);
}

std::unexpected<Error> Problem(ErrorKind kind, std::string_view file, std::string_view what) {
  return Fail(kind, "kubeconfig " + std::string(file) + ": " + std::string(what));
}

}  // namespace

std::string Kubeconfig::Name() const {
  std::string name;
  for (const std::string& file : files) {
    if (!name.empty()) name += ':';
    name += file;
  }
  return name;
}

Result<Kubeconfig> ParseKubeconfig(std::string_view text, const std::string& path) {
  auto config = ParseContent(text, path);
  if (!config) return std::unexpected(config.error().Wrap("kubeconfig " + path));
  return config;
}

Result<Kubeconfig> LoadKubeconfig(const std::string& path) {
  auto text = ReadConfigFile(path);
  if (!text) return std::unexpected(text.error().Wrap("kubeconfig"));
  return ParseKubeconfig(*text, path);
}

Kubeconfig MergeKubeconfigs(const std::vector<Kubeconfig>& configs) {
  Kubeconfig merged;
  for (const Kubeconfig& config : configs) {
    // map::insert keeps what an earlier file defined.
    merged.clusters.insert(config.clusters.begin(), config.clusters.end());
    merged.users.insert(config.users.begin(), config.users.end());
    merged.contexts.insert(config.contexts.begin(), config.contexts.end());
    if (merged.current_context.empty()) merged.current_context = config.current_context;
    merged.files.insert(merged.files.end(), config.files.begin(), config.files.end());
  }
  return merged;
}

Result<ConnectionConfig> SelectContext(const Kubeconfig& config, std::string_view context) {
  const std::string name(context.empty() ? std::string_view(config.current_context) : context);
  const std::string all = config.Name();
  if (name.empty()) return Problem(ErrorKind::kInvalidArgument, all, "no current-context");
  const auto context_it = config.contexts.find(name);
  if (context_it == config.contexts.end()) {
    return Problem(ErrorKind::kNotFound, all, "context '" + name + "' not found");
  }
  const KubeconfigContext& selected = context_it->second;
  const std::string of_context = " of context '" + name + "'";
  if (selected.cluster.empty()) {
    return Problem(ErrorKind::kInvalidArgument, selected.defined_in,
                   "context '" + name + "' names no cluster");
  }
  const auto cluster_it = config.clusters.find(selected.cluster);
  if (cluster_it == config.clusters.end()) {
    return Problem(ErrorKind::kNotFound, all,
                   "cluster '" + selected.cluster + "'" + of_context + " not found");
  }
  const KubeconfigCluster& cluster = cluster_it->second;
  const std::string cluster_name = "cluster '" + selected.cluster + "'";

  ConnectionConfig connection;
  connection.origin = "kubeconfig " + all + ", context '" + name + "'";
  connection.server = cluster.server;
  connection.insecure_skip_tls_verify = cluster.insecure_skip_tls_verify;
  connection.tls_server_name = cluster.tls_server_name;
  connection.proxy_url = cluster.proxy_url;
  if (!selected.namespace_name.empty()) connection.default_namespace = selected.namespace_name;
  if (auto normalized = NormalizeServer(connection); !normalized) {
    return Problem(ErrorKind::kInvalidArgument, cluster.defined_in,
                   cluster_name + ": " + normalized.error().message);
  }
  auto ca = ReadPem(cluster.certificate_authority);
  if (!ca) {
    return Problem(ca.error().kind, cluster.defined_in,
                   cluster_name + ": certificate-authority: " + ca.error().message);
  }
  connection.certificate_authority_pem = std::move(*ca);

  if (selected.user.empty()) return connection;  // anonymous, as kubectl allows
  const auto user_it = config.users.find(selected.user);
  if (user_it == config.users.end()) {
    return Problem(ErrorKind::kNotFound, all,
                   "user '" + selected.user + "'" + of_context + " not found");
  }
  const KubeconfigUser& user = user_it->second;
  const std::string user_name = "user '" + selected.user + "'";
  if (!user.unsupported_method.empty()) {
    return Problem(ErrorKind::kUnimplemented, user.defined_in,
                   user_name + " authenticates with " + user.unsupported_method +
                       ", which is not supported");
  }
  if (user.client_certificate.empty() != user.client_key.empty()) {
    return Problem(ErrorKind::kInvalidArgument, user.defined_in,
                   user_name + " has a client " +
                       (user.client_key.empty() ? "certificate without its key"
                                                : "key without its certificate"));
  }
  for (const auto& [source, pem, field] :
       {std::tuple{&user.client_certificate, &connection.client_certificate_pem,
                   "client-certificate"},
        std::tuple{&user.client_key, &connection.client_key_pem, "client-key"}}) {
    auto read = ReadPem(*source);
    if (!read) {
      return Problem(read.error().kind, user.defined_in,
                     user_name + ": " + field + ": " + read.error().message);
    }
    *pem = std::move(*read);
  }
  connection.token = user.token;
  connection.token_file = user.token_file;
  return connection;
}

}  // namespace kw::kube
