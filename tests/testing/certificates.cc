#include "testing/certificates.h"

#include <fstream>
#include <functional>
#include <stdexcept>
#include <vector>

#include "testing/process.h"

namespace kw::testing {
namespace {

void OpenSsl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunProcess(argv);
  if (r.exit_code != 0) throw std::runtime_error("openssl failed: " + r.err);
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

Certificates MakeCertificates() {
  Certificates c;
  c.dir = MakeTempDir();
  auto path = [&](const char* name) { return c.dir + "/" + name; };
  c.ca = path("ca.pem");
  c.server_cert = path("server.pem");
  c.server_key = path("server.key");
  c.client_cert = path("client.pem");
  c.client_key = path("client.key");
  c.chain = path("chain.pem");
  std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                 "-nodes"};
  auto with = [&](std::vector<std::string> a) {
    a.insert(a.begin() + 1, ec.begin(), ec.end());
    return a;
  };
  OpenSsl(with({"req", "-x509", "-keyout", path("ca.key"), "-out", c.ca, "-days", "1", "-subj",
                "/CN=kubewarden-test-ca"}));
  // The names a real kube-apiserver certificate carries too: clients that reach an API server by
  // IP address check kubernetes.default.svc (kube/connection_config.h).
  Write(path("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,"
        "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n");
  OpenSsl(with({"req", "-keyout", c.server_key, "-out", path("server.csr"), "-subj",
                "/CN=localhost"}));
  OpenSsl({"x509", "-req", "-in", path("server.csr"), "-CA", c.ca, "-CAkey", path("ca.key"),
           "-set_serial", "2", "-days", "1", "-out", c.server_cert, "-extfile",
           path("server.ext")});
  OpenSsl(with({"req", "-keyout", c.client_key, "-out", path("client.csr"), "-subj",
                "/CN=kube-apiserver"}));
  OpenSsl({"x509", "-req", "-in", path("client.csr"), "-CA", c.ca, "-CAkey", path("ca.key"),
           "-set_serial", "3", "-days", "1", "-out", c.client_cert});
  Write(c.chain, Read(c.server_cert) + Read(c.ca));
  return c;
}

IssuedCertificate IssueCertificate(const Certificates& ca, const std::string& subject,
                                   const std::string& name, const std::string& subject_alt_names) {
  IssuedCertificate out{ca.dir + "/" + name + ".pem", ca.dir + "/" + name + ".key"};
  std::string csr = ca.dir + "/" + name + ".csr";
  OpenSsl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           out.key, "-out", csr, "-subj", subject});
  std::vector<std::string> sign = {"x509", "-req", "-in", csr, "-CA", ca.ca, "-CAkey",
                                   ca.dir + "/ca.key", "-set_serial",
                                   std::to_string(std::hash<std::string>{}(name) % 1000000 + 10),
                                   "-days", "1", "-out", out.cert};
  if (!subject_alt_names.empty()) {
    std::string ext = ca.dir + "/" + name + ".ext";
    Write(ext, "subjectAltName=" + subject_alt_names + "\n");
    sign.insert(sign.end(), {"-extfile", ext});
  }
  OpenSsl(sign);
  return out;
}

}  // namespace kw::testing
