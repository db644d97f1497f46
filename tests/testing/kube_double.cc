#include "testing/kube_double.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "base/base64.h"
#include "base/files.h"
#include "base/json.h"
#include "base/yaml.h"

namespace kw::testing {
namespace {

std::string ReadText(const std::string& path) {
  auto text = ReadFile(path, 1u << 20);
  if (!text) throw std::runtime_error(text.error().message);
  return *text;
}

void WriteText(const std::string& path, const std::string& text) {
  if (auto written = WriteFile(path, text); !written) {
    throw std::runtime_error(written.error().message);
  }
}

std::string Kubeconfig(const std::string& url, const std::string& ca_pem,
                       const std::string& user_fields) {
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: double\n  cluster:\n    server: " + url +
         "\n    certificate-authority-data: " + Base64Encode(ca_pem) +
         "\nusers:\n- name: double-user\n  user:\n" + user_fields +
         "contexts:\n- name: double\n  context:\n    cluster: double\n    user: double-user\n"
         "    namespace: default\ncurrent-context: double\n";
}

}  // namespace

KubeApiServerDouble::KubeApiServerDouble(KubeDoubleOptions options) {
  certificates_ = MakeCertificates();
  server_ = IssueCertificate(certificates_, "/CN=kube-apiserver", "double-server",
                             "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
                             "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,"
                             "IP:127.0.0.1");
  client_ = IssueCertificate(certificates_, std::string("/O=") + kGroup + "/CN=" + kUser,
                             "double-client");
  dir_ = certificates_.dir;
  std::string tokens = dir_ + "/tokens.csv";
  WriteText(tokens, std::string(kToken) + "," + kUser + ",test-user-uid,\"" + kGroup + "\"\n");
  std::vector<std::string> argv = {KubeApiServerDoubleBinary(), "--tls-cert", server_.cert,
                                   "--tls-key", server_.key, "--client-ca", certificates_.ca,
                                   "--token-file", tokens};
  for (const auto& seed : options.seed_files) {
    argv.push_back("--seed");
    argv.push_back(seed);
  }
  for (const auto& [flag, text] : {std::pair{"--sar-rules", &options.sar_rules},
                                    std::pair{"--deny", &options.deny_rules}}) {
    if (text->empty()) continue;
    std::string file = dir_ + "/" + std::string(flag + 2) + ".yaml";
    WriteText(file, *text);
    argv.push_back(flag);
    argv.push_back(file);
  }
  if (options.watch_history > 0) {
    argv.push_back("--watch-history");
    argv.push_back(std::to_string(options.watch_history));
  }
  if (options.bookmark_interval_ms > 0) {
    argv.push_back("--bookmark-interval-ms");
    argv.push_back(std::to_string(options.bookmark_interval_ms));
  }
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  process_ = std::make_unique<ChildProcess>(argv);
  bool up = Eventually(
      [&] {
        std::string out = process_->Stdout();
        auto at = out.find("listening on 127.0.0.1:");
        if (at == std::string::npos || out.find('\n', at) == std::string::npos) return false;
        port_ = std::stoi(out.substr(at + 23));
        return true;
      },
      std::chrono::seconds(30));
  if (!up) {
    throw std::runtime_error("kube-apiserver-double did not start: " + process_->Stderr());
  }
  std::string ca = CaPem();
  kubeconfig_ = dir_ + "/kubeconfig";
  WriteText(kubeconfig_,
            Kubeconfig(Url(), ca,
                       "    client-certificate-data: " + Base64Encode(ReadText(client_.cert)) +
                           "\n    client-key-data: " + Base64Encode(ReadText(client_.key)) + "\n"));
  token_kubeconfig_ = dir_ + "/kubeconfig-token";
  WriteText(token_kubeconfig_, Kubeconfig(Url(), ca, std::string("    token: ") + kToken + "\n"));
}

KubeApiServerDouble::~KubeApiServerDouble() = default;

std::string KubeApiServerDouble::Url() const {
  return "https://127.0.0.1:" + std::to_string(port_);
}

std::string KubeApiServerDouble::CaPem() const { return ReadText(certificates_.ca); }

HttpResult KubeApiServerDouble::Request(const std::string& method, const std::string& path,
                                        const std::string& body,
                                        const std::string& content_type) {
  HttpOptions options;
  options.method = method;
  options.body = body;
  options.content_type = content_type;
  options.ca_file = certificates_.ca;
  options.cert_file = client_.cert;
  options.key_file = client_.key;
  return Http(Url() + path, options);
}

void KubeApiServerDouble::Seed(const std::string& yaml) {
  auto documents = ParseYamlDocumentsAsJson(yaml, "seed");
  ASSERT_TRUE(documents.has_value()) << documents.error().message;
  std::vector<json::value> objects;
  for (auto& document : *documents) {
    if (!document.is_object()) continue;
    json::value* items = document.get_object().if_contains("items");
    if (items && items->is_array()) {
      for (auto& item : items->get_array()) objects.push_back(item);
    } else {
      objects.push_back(document);
    }
  }
  for (const auto& object : objects) {
    const json::object& o = object.get_object();
    std::string api_version(o.at("apiVersion").get_string());
    std::string kind(o.at("kind").get_string());
    std::string base = api_version.find('/') == std::string::npos ? "/api/" + api_version
                                                                  : "/apis/" + api_version;
    HttpResult discovery = Request("GET", base);
    auto list = ParseJson(discovery.body);
    ASSERT_TRUE(list.has_value() && list->is_object()) << base << ": " << discovery.body;
    std::string plural;
    bool namespaced = false;
    for (const auto& r : list->get_object().at("resources").get_array()) {
      const json::object& resource = r.get_object();
      std::string name(resource.at("name").get_string());
      if (resource.at("kind").get_string() == kind && name.find('/') == std::string::npos) {
        plural = name;
        namespaced = resource.at("namespaced").get_bool();
      }
    }
    ASSERT_FALSE(plural.empty()) << "no resource for " << api_version << " " << kind;
    std::string ns = "default";
    if (const json::value* m = o.if_contains("metadata")) {
      if (const json::value* n = m->get_object().if_contains("namespace")) {
        ns = std::string(n->get_string());
      }
    }
    std::string path = base + (namespaced ? "/namespaces/" + ns : "") + "/" + plural;
    HttpResult created = Request("POST", path, ToJson(object));
    EXPECT_EQ(created.status, 201) << path << ": " << created.body;
  }
}

void KubeApiServerDouble::Faults(const std::string& json) {
  HttpResult r = Request("POST", "/double/faults", json);
  EXPECT_EQ(r.status, 200) << r.body;
}

std::uint64_t KubeApiServerDouble::RequestCount(const std::string& verb, const std::string& path) {
  HttpResult r = Request("GET", "/double/requests?verb=" + verb + "&path=" + path);
  auto value = ParseJson(r.body);
  if (!value || !value->is_object() || !value->get_object().contains("count")) {
    ADD_FAILURE() << "GET /double/requests: " << r.body;
    return 0;
  }
  return value->get_object().at("count").to_number<std::uint64_t>();
}

void KubeApiServerDouble::ResetCounters() {
  HttpResult r = Request("POST", "/double/reset-counters");
  EXPECT_EQ(r.status, 200) << r.body;
}

void KubeApiServerDouble::MapService(const std::string& ns, const std::string& name,
                                     const std::string& address) {
  HttpResult r = Request("POST", "/double/service-endpoints",
                         R"({"namespace":")" + ns + R"(","name":")" + name +
                             R"(","address":")" + address + R"("})");
  EXPECT_EQ(r.status, 200) << r.body;
}

void KubeApiServerDouble::Compact() {
  HttpResult r = Request("POST", "/double/compact");
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace kw::testing
