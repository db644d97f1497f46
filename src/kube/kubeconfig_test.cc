// kube's connection configuration through its public headers: kubeconfig files (every field,
// both forms, merging, every error, hostile content), the in-cluster service account, the
// resolution order binaries use, and rotating bearer tokens.
#include "kube/kubeconfig.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "base/base64.h"
#include "base/files.h"
#include "kube/bearer_token.h"
#include "kube/in_cluster.h"
#include "kube/resolve.h"
#include "testing/process.h"

namespace kw::kube {
namespace {

const std::string kCaPem = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
const std::string kCertPem = "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n";
const std::string kKeyPem = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";

void Write(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  ASSERT_TRUE(WriteFile(path, content).has_value()) << path;
}

// A kubeconfig with one context `ctx` on cluster `c` as user `u`, each given the extra lines.
std::string Kubeconfig1(const std::string& cluster_fields, const std::string& user_fields = "",
                        const std::string& context_fields = "") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: ctx\n"
         "clusters:\n- name: c\n  cluster:\n    server: https://api.example.com:6443\n" +
         cluster_fields + "users:\n- name: u\n  user:\n" +
         (user_fields.empty() ? "    {}\n" : user_fields) +
         "contexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\n" + context_fields;
}

Result<ConnectionConfig> Select(const std::string& text, std::string_view context = {},
                                const std::string& path = "/k/config") {
  KW_ASSIGN_OR_RETURN(Kubeconfig config, ParseKubeconfig(text, path));
  return SelectContext(config, context);
}

// The error of `result`, which must have failed.
template <typename T>
Error ErrorOf(const Result<T>& result) {
  EXPECT_FALSE(result.has_value());
  return result.has_value() ? Error() : result.error();
}

TEST(KubeconfigTest, ReadsEveryFieldOfTheDataForms) {
  auto config = Select(Kubeconfig1(
      "    certificate-authority-data: " + Base64Encode(kCaPem) +
          "\n    tls-server-name: api.internal\n    proxy-url: http://proxy:3128\n",
      "    client-certificate-data: " + Base64Encode(kCertPem) +
          "\n    client-key-data: " + Base64Encode(kKeyPem) + "\n    token: abc.def\n",
      "    namespace: team-a\n"));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->server, "https://api.example.com:6443");
  EXPECT_EQ(config->certificate_authority_pem, kCaPem);
  EXPECT_EQ(config->client_certificate_pem, kCertPem);
  EXPECT_EQ(config->client_key_pem, kKeyPem);
  EXPECT_EQ(config->token, "abc.def");
  EXPECT_EQ(config->token_file, "");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->tls_server_name, "api.internal");
  EXPECT_EQ(config->proxy_url, "http://proxy:3128");
  EXPECT_EQ(config->default_namespace, "team-a");
  EXPECT_EQ(config->origin, "kubeconfig /k/config, context 'ctx'");
}

TEST(KubeconfigTest, ReadsTheFileFormsRelativeToTheKubeconfigsDirectory) {
  const std::string dir = testing::MakeTempDir();
  Write(dir + "/kube/ca.pem", kCaPem);
  Write(dir + "/certs/client.pem", kCertPem);
  Write(dir + "/elsewhere/client.key", kKeyPem);
  const std::string path = dir + "/kube/config";
  Write(path, Kubeconfig1("    certificate-authority: ca.pem\n",
                          "    client-certificate: ../certs/client.pem\n"
                          "    client-key: " + dir + "/elsewhere/client.key\n"
                          "    tokenFile: token\n"));
  auto kubeconfig = LoadKubeconfig(path);
  ASSERT_TRUE(kubeconfig.has_value()) << kubeconfig.error().message;
  EXPECT_EQ(kubeconfig->clusters.at("c").certificate_authority.file, dir + "/kube/ca.pem");
  auto config = SelectContext(*kubeconfig);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->certificate_authority_pem, kCaPem);
  EXPECT_EQ(config->client_certificate_pem, kCertPem);
  EXPECT_EQ(config->client_key_pem, kKeyPem);
  // Kept as a path, read per request (BearerToken); it need not exist yet.
  EXPECT_EQ(config->token_file, dir + "/kube/token");
  EXPECT_EQ(config->token, "");
}

TEST(KubeconfigTest, ARelativeKubeconfigPathResolvesAgainstTheWorkingDirectory) {
  auto kubeconfig = ParseKubeconfig(Kubeconfig1("    certificate-authority: ca.pem\n"), "config");
  ASSERT_TRUE(kubeconfig.has_value()) << kubeconfig.error().message;
  EXPECT_EQ(kubeconfig->clusters.at("c").certificate_authority.file,
            (std::filesystem::current_path() / "ca.pem").string());
}

TEST(KubeconfigTest, DefaultsAreKubectls) {
  auto config = Select(
      "current-context: ctx\nclusters: [{name: c, cluster: {server: 'https://h'}}]\n"
      "contexts: [{name: ctx, context: {cluster: c}}]\n");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->default_namespace, "default");
  EXPECT_EQ(config->certificate_authority_pem, "");  // the system trust store
  EXPECT_EQ(config->client_certificate_pem, "");     // anonymous
  EXPECT_EQ(config->token, "");
  EXPECT_EQ(config->tls_server_name, "");
  EXPECT_EQ(config->proxy_url, "");
}

TEST(KubeconfigTest, AnExplicitContextWinsOverTheCurrentOne) {
  const std::string text =
      "current-context: one\n"
      "clusters: [{name: a, cluster: {server: 'https://a'}}, {name: b, cluster: {server: "
      "'https://b'}}]\n"
      "contexts: [{name: one, context: {cluster: a}}, {name: two, context: {cluster: b, "
      "namespace: ns2}}]\n";
  EXPECT_EQ(Select(text)->server, "https://a");
  auto two = Select(text, "two");
  ASSERT_TRUE(two.has_value()) << two.error().message;
  EXPECT_EQ(two->server, "https://b");
  EXPECT_EQ(two->default_namespace, "ns2");
}

TEST(KubeconfigTest, ScalarsAreReadAsText) {
  auto config = Select(Kubeconfig1("    insecure-skip-tls-verify: true\n", "    token: 12345\n",
                                   "    namespace: 0755\n"));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->token, "12345");
  EXPECT_EQ(config->default_namespace, "0755");
  EXPECT_FALSE(Select(Kubeconfig1("    insecure-skip-tls-verify: false\n"))
                   ->insecure_skip_tls_verify);
}

TEST(KubeconfigTest, JsonKubeconfigsWork) {
  auto config = Select(
      R"({"current-context":"ctx","clusters":[{"name":"c","cluster":{"server":"https://j",)"
      R"("insecure-skip-tls-verify":true}}],"contexts":[{"name":"ctx","context":{"cluster":"c"}}]})");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->server, "https://j");
  EXPECT_TRUE(config->insecure_skip_tls_verify);
}

TEST(KubeconfigTest, Base64MayBeWrappedOverLines) {
  const std::string encoded = Base64Encode(kCaPem);
  auto config = Select(Kubeconfig1("    certificate-authority-data: |\n      " +
                                   encoded.substr(0, 20) + "\n      " + encoded.substr(20) +
                                   "\n"));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->certificate_authority_pem, kCaPem);
}

TEST(KubeconfigTest, ServersByIpAddressGetUpstreamsTlsServerName) {
  auto by_ip = Select(
      "current-context: x\nclusters: [{name: c, cluster: {server: 'https://10.0.0.1:6443'}}]\n"
      "contexts: [{name: x, context: {cluster: c}}]\n");
  ASSERT_TRUE(by_ip.has_value()) << by_ip.error().message;
  EXPECT_EQ(by_ip->tls_server_name, "kubernetes.default.svc");
  auto by_ipv6 = Select(
      "current-context: x\nclusters: [{name: c, cluster: {server: 'https://[fd00::1]:6443'}}]\n"
      "contexts: [{name: x, context: {cluster: c}}]\n");
  ASSERT_TRUE(by_ipv6.has_value()) << by_ipv6.error().message;
  EXPECT_EQ(by_ipv6->tls_server_name, "kubernetes.default.svc");
  // An explicit tls-server-name stays; a host name needs none.
  auto named = Select(
      "current-context: x\nclusters: [{name: c, cluster: {server: 'https://10.0.0.1', "
      "tls-server-name: api.local}}]\ncontexts: [{name: x, context: {cluster: c}}]\n");
  EXPECT_EQ(named->tls_server_name, "api.local");
  EXPECT_EQ(Select(Kubeconfig1(""))->tls_server_name, "");
}

TEST(KubeconfigTest, AServerWithoutSchemeIsHttps) {
  auto config = Select(
      "current-context: x\nclusters: [{name: c, cluster: {server: '127.0.0.1:6443'}}]\n"
      "contexts: [{name: x, context: {cluster: c}}]\n");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");
  EXPECT_EQ(config->tls_server_name, "kubernetes.default.svc");
}

TEST(KubeconfigTest, SelectionErrorsNameTheFileAndWhatIsMissing) {
  Error e = ErrorOf(Select(Kubeconfig1(""), "foo", "/x"));
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_EQ(e.message, "kubeconfig /x: context 'foo' not found");

  e = ErrorOf(Select("clusters: []\n", {}, "/x"));
  EXPECT_EQ(e.kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(e.message, "kubeconfig /x: no current-context");
  EXPECT_EQ(ErrorOf(Select("", {}, "/x")).message, "kubeconfig /x: no current-context");

  e = ErrorOf(Select("current-context: foo\ncontexts: [{name: foo, context: {cluster: c}}]\n", {},
                     "/x"));
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_EQ(e.message, "kubeconfig /x: cluster 'c' of context 'foo' not found");

  e = ErrorOf(Select(
      "current-context: foo\nclusters: [{name: c, cluster: {server: 'https://h'}}]\n"
      "contexts: [{name: foo, context: {cluster: c, user: u}}]\n",
      {}, "/x"));
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_EQ(e.message, "kubeconfig /x: user 'u' of context 'foo' not found");

  EXPECT_EQ(ErrorOf(Select("current-context: foo\ncontexts: [{name: foo, context: {}}]\n", {},
                           "/x"))
                .message,
            "kubeconfig /x: context 'foo' names no cluster");
  EXPECT_EQ(ErrorOf(Select("current-context: foo\nclusters: [{name: c}]\n"
                           "contexts: [{name: foo, context: {cluster: c}}]\n",
                           {}, "/x"))
                .message,
            "kubeconfig /x: cluster 'c': no server");
  e = ErrorOf(Select(
      "current-context: foo\nclusters: [{name: c, cluster: {server: 'ftp://h'}}]\n"
      "contexts: [{name: foo, context: {cluster: c}}]\n",
      {}, "/x"));
  EXPECT_EQ(e.kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(e.message.starts_with("kubeconfig /x: cluster 'c': server 'ftp://h': ")) << e.message;
}

TEST(KubeconfigTest, UnsupportedAuthenticationIsRefusedNotIgnored) {
  const std::pair<std::string, std::string> cases[] = {
      {"    exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}\n",
       "an exec plugin"},
      {"    auth-provider: {name: gcp}\n", "an auth provider"},
      {"    username: admin\n    password: secret\n", "a username and password"},
  };
  for (const auto& [fields, method] : cases) {
    Error e = ErrorOf(Select(Kubeconfig1("", fields), {}, "/x"));
    EXPECT_EQ(e.kind, ErrorKind::kUnimplemented);
    EXPECT_EQ(e.message,
              "kubeconfig /x: user 'u' authenticates with " + method + ", which is not supported");
  }
}

TEST(KubeconfigTest, CredentialsMustBeCoherent) {
  Error e = ErrorOf(Select(Kubeconfig1("", "    client-certificate-data: " +
                                               Base64Encode(kCertPem) + "\n"),
                           {}, "/x"));
  EXPECT_EQ(e.message, "kubeconfig /x: user 'u' has a client certificate without its key");
  e = ErrorOf(Select(Kubeconfig1("", "    client-key-data: " + Base64Encode(kKeyPem) + "\n"), {},
                     "/x"));
  EXPECT_EQ(e.message, "kubeconfig /x: user 'u' has a client key without its certificate");
  e = ErrorOf(Select(Kubeconfig1("    certificate-authority: /ca.pem\n"
                                 "    certificate-authority-data: " +
                                 Base64Encode(kCaPem) + "\n"),
                     {}, "/x"));
  EXPECT_EQ(e.message,
            "kubeconfig /x: clusters[0].cluster sets both certificate-authority-data and "
            "certificate-authority");
}

TEST(KubeconfigTest, UnreadableFilesAreNamed) {
  const std::string dir = testing::MakeTempDir();
  Error e = ErrorOf(Select(Kubeconfig1("    certificate-authority: ca.pem\n"), {},
                           dir + "/config"));
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_TRUE(e.message.starts_with("kubeconfig " + dir + "/config: cluster 'c': "
                                    "certificate-authority: ")) << e.message;
  EXPECT_NE(e.message.find(dir + "/ca.pem"), std::string::npos) << e.message;

  Write(dir + "/cert.pem", kCertPem);
  e = ErrorOf(Select(Kubeconfig1("", "    client-certificate: cert.pem\n    client-key: k.pem\n"),
                     {}, dir + "/config"));
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_NE(e.message.find("user 'u': client-key: "), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(dir + "/k.pem"), std::string::npos) << e.message;

  Write(dir + "/huge.pem", std::string(kMaxPemBytes + 1, 'x'));
  e = ErrorOf(Select(Kubeconfig1("    certificate-authority: huge.pem\n"), {}, dir + "/config"));
  EXPECT_EQ(e.kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(e.message.find("more than the 1 MiB limit"), std::string::npos) << e.message;

  e = ErrorOf(LoadKubeconfig(dir + "/missing"));
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_NE(e.message.find(dir + "/missing"), std::string::npos) << e.message;
}

TEST(KubeconfigTest, HostileContentIsAClearError) {
  const std::pair<std::string, std::string> cases[] = {
      {"[1, 2]", "kubeconfig /x: field 'kubeconfig' must be an object, got a list"},
      {"clusters: nope\n", "kubeconfig /x: field 'clusters' must be a list, got a string"},
      {"clusters: [nope]\n", "kubeconfig /x: field 'clusters[0]' must be an object, got a string"},
      {"clusters: [{cluster: {}}]\n", "kubeconfig /x: missing field 'clusters[0].name'"},
      {"clusters: [{name: [a]}]\n",
       "kubeconfig /x: field 'clusters[0].name' must be a string, got a list"},
      {"clusters: [{name: ''}]\n", "kubeconfig /x: field 'clusters[0].name' is empty"},
      {"clusters: [{name: a}, {name: a}]\n", "kubeconfig /x: clusters: 'a' is defined twice"},
      {"clusters: [{name: a, cluster: [1]}]\n",
       "kubeconfig /x: field 'clusters[0].cluster' must be an object, got a list"},
      {"clusters: [{name: a, cluster: {server: {x: 1}}}]\n",
       "kubeconfig /x: field 'clusters[0].cluster.server' must be a string, got an object"},
      {"clusters: [{name: a, cluster: {insecure-skip-tls-verify: maybe}}]\n",
       "kubeconfig /x: field 'clusters[0].cluster.insecure-skip-tls-verify' must be true or "
       "false, got 'maybe'"},
      {"users: [{name: u, user: {token: [1]}}]\n",
       "kubeconfig /x: field 'users[0].user.token' must be a string, got a list"},
      {"contexts: [{name: c, context: {namespace: {}}}]\n",
       "kubeconfig /x: field 'contexts[0].context.namespace' must be a string, got an object"},
      {"current-context: [a]\n",
       "kubeconfig /x: field 'kubeconfig.current-context' must be a string, got a list"},
      {"clusters: [\xff\xfe]\n", "kubeconfig /x: not UTF-8 text"},
  };
  for (const auto& [text, message] : cases) {
    Error e = ErrorOf(ParseKubeconfig(text, "/x"));
    EXPECT_EQ(e.kind, ErrorKind::kInvalidArgument) << text;
    EXPECT_EQ(e.message, message) << text;
  }
  Error e = ErrorOf(ParseKubeconfig("clusters: [\n", "/x"));
  EXPECT_TRUE(e.message.starts_with("kubeconfig /x: invalid YAML")) << e.message;
  e = ErrorOf(ParseKubeconfig("users: [{name: u, user: {client-key-data: 'not base64!'}}]\n", "/x"));
  EXPECT_TRUE(e.message.starts_with("kubeconfig /x: field 'users[0].user.client-key-data': "))
      << e.message;
}

TEST(KubeconfigTest, HugeBase64IsRefusedForItsSize) {
  const std::string huge = Base64Encode(std::string(kMaxPemBytes + 3, 'a'));
  Error e = ErrorOf(ParseKubeconfig(
      "clusters: [{name: c, cluster: {certificate-authority-data: " + huge + "}}]\n", "/x"));
  EXPECT_EQ(e.kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(e.message,
            "kubeconfig /x: field 'clusters[0].cluster.certificate-authority-data' is 1.0 MiB, "
            "more than the 1 MiB limit");
  // A file beyond the configuration-file cap is not even parsed.
  const std::string path = testing::MakeTempDir() + "/config";
  Write(path, "clusters: [{name: c, cluster: {certificate-authority-data: " +
                  Base64Encode(std::string(kMaxConfigFileBytes, 'a')) + "}}]\n");
  e = ErrorOf(LoadKubeconfig(path));
  EXPECT_EQ(e.kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(e.message.find("more than the 4 MiB limit"), std::string::npos) << e.message;
}

TEST(KubeconfigTest, MergingKeepsTheFirstDefinitionAndCurrentContext) {
  const std::string dir = testing::MakeTempDir();
  Write(dir + "/a/ca.pem", "CA of a");
  Write(dir + "/b/ca.pem", "CA of b");
  Write(dir + "/a/config",
        "clusters: [{name: shared, cluster: {server: 'https://a', certificate-authority: ca.pem}}]\n"
        "contexts: [{name: ctx-a, context: {cluster: shared}}]\n");
  Write(dir + "/b/config",
        "current-context: ctx-b\n"
        "clusters: [{name: shared, cluster: {server: 'https://b'}},\n"
        "           {name: own, cluster: {server: 'https://own', certificate-authority: ca.pem}}]\n"
        "contexts: [{name: ctx-b, context: {cluster: own, namespace: b}},\n"
        "           {name: ctx-a, context: {cluster: own}}]\n");
  Write(dir + "/c/config", "current-context: ctx-a\n");
  std::vector<Kubeconfig> configs;
  for (const char* name : {"a", "b", "c"}) {
    auto config = LoadKubeconfig(dir + "/" + name + "/config");
    ASSERT_TRUE(config.has_value()) << config.error().message;
    configs.push_back(std::move(*config));
  }
  const Kubeconfig merged = MergeKubeconfigs(configs);
  EXPECT_EQ(merged.Name(), dir + "/a/config:" + dir + "/b/config:" + dir + "/c/config");
  EXPECT_EQ(merged.current_context, "ctx-b");  // a sets none, b's comes first
  auto b = SelectContext(merged);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(b->server, "https://own");
  EXPECT_EQ(b->certificate_authority_pem, "CA of b");  // relative to b's directory
  EXPECT_EQ(b->default_namespace, "b");
  auto a = SelectContext(merged, "ctx-a");  // a's ctx-a and a's `shared`
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->server, "https://a");
  EXPECT_EQ(a->certificate_authority_pem, "CA of a");
  EXPECT_EQ(ErrorOf(SelectContext(merged, "nope")).message,
            "kubeconfig " + merged.Name() + ": context 'nope' not found");
}

// In-cluster -----------------------------------------------------------------------------------

std::string ServiceAccountDir(const std::string& ns = "kubewarden\n") {
  const std::string dir = testing::MakeTempDir();
  Write(dir + "/token", "token-1\n");
  Write(dir + "/ca.crt", kCaPem);
  if (!ns.empty()) Write(dir + "/namespace", ns);
  return dir;
}

TEST(KubeInClusterTest, ReadsTheServiceAccount) {
  const std::string dir = ServiceAccountDir();
  auto config = LoadInClusterConfig("10.96.0.1", "443", dir);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->tls_server_name, "kubernetes.default.svc");
  EXPECT_EQ(config->token_file, dir + "/token");
  EXPECT_EQ(config->token, "");
  EXPECT_EQ(config->certificate_authority_pem, kCaPem);
  EXPECT_EQ(config->default_namespace, "kubewarden");
  EXPECT_EQ(config->client_certificate_pem, "");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->origin, "in-cluster service account " + dir);
}

TEST(KubeInClusterTest, BracketsIpv6HostsAndDefaultsTheNamespace) {
  auto config = LoadInClusterConfig("fd00:10:96::1", "6443", ServiceAccountDir(""));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->server, "https://[fd00:10:96::1]:6443");
  EXPECT_EQ(config->tls_server_name, "kubernetes.default.svc");
  EXPECT_EQ(config->default_namespace, "default");
  auto named = LoadInClusterConfig("kubernetes.default.svc.cluster.local", "443",
                                   ServiceAccountDir());
  ASSERT_TRUE(named.has_value()) << named.error().message;
  EXPECT_EQ(named->tls_server_name, "");
}

TEST(KubeInClusterTest, MissingPiecesAreNamed) {
  const std::string dir = ServiceAccountDir();
  EXPECT_EQ(ErrorOf(LoadInClusterConfig("", "443", dir)).kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(ErrorOf(LoadInClusterConfig("10.0.0.1", "", dir)).kind, ErrorKind::kInvalidArgument);
  std::filesystem::remove(dir + "/ca.crt");
  Error e = ErrorOf(LoadInClusterConfig("10.0.0.1", "443", dir));
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_NE(e.message.find(dir + "/ca.crt"), std::string::npos) << e.message;
  std::filesystem::remove(dir + "/token");
  e = ErrorOf(LoadInClusterConfig("10.0.0.1", "443", dir));
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_EQ(e.message,
            "in-cluster service account " + dir + ": no token file " + dir + "/token");
}

// Resolution -----------------------------------------------------------------------------------

// A kubeconfig at `path` whose only context reaches `server`.
void WriteKubeconfig(const std::string& path, const std::string& server) {
  Write(path, "current-context: x\nclusters: [{name: c, cluster: {server: '" + server +
                  "'}}]\ncontexts: [{name: x, context: {cluster: c}}, {name: y, context: "
                  "{cluster: c, namespace: why}}]\n");
}

struct ResolveFixture {
  std::string dir = testing::MakeTempDir();
  ConnectionEnvironment environment;
  ResolveFixture() {
    WriteKubeconfig(dir + "/explicit", "https://explicit");
    WriteKubeconfig(dir + "/listed", "https://listed");
    WriteKubeconfig(dir + "/home/.kube/config", "https://home");
    environment.kubeconfig = dir + "/listed";
    environment.service_host = "10.96.0.1";
    environment.service_port = "443";
    environment.service_account_dir = ServiceAccountDir();
    environment.home = dir + "/home";
  }
  std::string ServerFor(const ConnectionRequest& request) const {
    auto config = ResolveConnection(request, environment);
    if (!config) return "error: " + config.error().message;
    return *config ? (*config)->server : "none";
  }
};

TEST(KubeResolveTest, FollowsTheOrderExplicitListInClusterHome) {
  ResolveFixture f;
  EXPECT_EQ(f.ServerFor({.kubeconfig_path = f.dir + "/explicit"}), "https://explicit");
  EXPECT_EQ(f.ServerFor({}), "https://listed");
  f.environment.kubeconfig.clear();
  EXPECT_EQ(f.ServerFor({}), "https://10.96.0.1:443");
  f.environment.service_host.clear();
  EXPECT_EQ(f.ServerFor({}), "https://home");
  f.environment.home = f.dir + "/nowhere";
  EXPECT_EQ(f.ServerFor({}), "none");
}

TEST(KubeResolveTest, NoClusterIsAStateNotAnError) {
  ConnectionEnvironment nothing;
  nothing.home = testing::MakeTempDir();
  auto resolved = ResolveConnection({}, nothing);
  ASSERT_TRUE(resolved.has_value()) << resolved.error().message;
  EXPECT_FALSE(resolved->has_value());
  EXPECT_EQ(kNoClientMessage, "kube::Client was not initialized properly");
}

TEST(KubeResolveTest, TheContextFlagAppliesToKubeconfigs) {
  ResolveFixture f;
  auto config = ResolveConnection({.context = "y"}, f.environment);
  ASSERT_TRUE(config.has_value() && config->has_value());
  EXPECT_EQ((*config)->default_namespace, "why");
  EXPECT_EQ(f.ServerFor({.kubeconfig_path = f.dir + "/explicit", .context = "z"}),
            "error: kubeconfig " + f.dir + "/explicit: context 'z' not found");
}

TEST(KubeResolveTest, KubeconfigListsSkipMissingEmptyAndRepeatedEntries) {
  ResolveFixture f;
  WriteKubeconfig(f.dir + "/second", "https://second");
  f.environment.kubeconfig =
      f.dir + "/missing::" + f.dir + "/listed:" + f.dir + "/second:" + f.dir + "/listed";
  auto config = ResolveConnection({}, f.environment);
  ASSERT_TRUE(config.has_value() && config->has_value()) << config.error().message;
  EXPECT_EQ((*config)->server, "https://listed");
  EXPECT_EQ((*config)->origin, "kubeconfig " + f.dir + "/listed:" + f.dir + "/second, context 'x'");

  f.environment.kubeconfig = f.dir + "/missing:" + f.dir + "/also-missing";
  Error e = ErrorOf(ResolveConnection({}, f.environment));
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_EQ(e.message, "KUBECONFIG=" + f.environment.kubeconfig + ": none of its files exists");
  // An explicit path must exist.
  EXPECT_EQ(ErrorOf(ResolveConnection({.kubeconfig_path = f.dir + "/missing"}, f.environment)).kind,
            ErrorKind::kNotFound);
}

TEST(KubeResolveTest, AnUnusableConfigurationIsAnErrorNotNoCluster) {
  ResolveFixture f;
  f.environment.kubeconfig.clear();
  std::filesystem::remove(f.environment.service_account_dir + "/token");
  EXPECT_EQ(ErrorOf(ResolveConnection({}, f.environment)).kind, ErrorKind::kNotFound);
}

// Bearer tokens --------------------------------------------------------------------------------

TEST(KubeBearerTokenTest, ReadsTheTokenTrimmed) {
  const std::string path = testing::MakeTempDir() + "/token";
  Write(path, "  abc.def.ghi\n");
  BearerToken token(path);
  EXPECT_EQ(token.Current().value_or("error"), "abc.def.ghi");
  EXPECT_EQ(token.Current().value_or("error"), "abc.def.ghi");
}

TEST(KubeBearerTokenTest, ARotatedTokenIsReadAgain) {
  const std::string dir = testing::MakeTempDir();
  const std::string path = dir + "/token";
  Write(path, "first");
  BearerToken token(path);
  EXPECT_EQ(token.Current().value_or("error"), "first");
  Write(path, "second");  // replaced by a rename, as the kubelet does
  EXPECT_EQ(token.Current().value_or("error"), "second");
  // The kubelet swaps a symlink over the projected volume's data directory.
  Write(dir + "/data-1/token", "third");
  std::filesystem::remove(path);
  std::filesystem::create_symlink(dir + "/data-1/token", path);
  EXPECT_EQ(token.Current().value_or("error"), "third");
}

TEST(KubeBearerTokenTest, AVanishedOrEmptyTokenIsAClearErrorUntilItComesBack) {
  const std::string path = testing::MakeTempDir() + "/token";
  Write(path, "first");
  BearerToken token(path);
  ASSERT_TRUE(token.Current().has_value());
  std::filesystem::remove(path);
  Error e = ErrorOf(token.Current());
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_EQ(e.message, "token file " + path + " does not exist (any more)");
  Write(path, " \n");
  e = ErrorOf(token.Current());
  EXPECT_EQ(e.kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(e.message, "token file " + path + " is empty");
  Write(path, "back");
  EXPECT_EQ(token.Current().value_or("error"), "back");
  Write(path, std::string(1 << 20, 'x'));
  EXPECT_EQ(ErrorOf(token.Current()).kind, ErrorKind::kInvalidArgument);
}

TEST(KubeBearerTokenTest, ConcurrentReadersSeeWholeTokensDuringRotation) {
  const std::string path = testing::MakeTempDir() + "/token";
  Write(path, "token-0");
  BearerToken token(path);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!done) {
        auto current = token.Current();
        if (!current || !current->starts_with("token-")) ++bad;
      }
    });
  }
  for (int i = 1; i <= 200; ++i) Write(path, "token-" + std::to_string(i));
  done = true;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(token.Current().value_or("error"), "token-200");
}

}  // namespace
}  // namespace kw::kube
