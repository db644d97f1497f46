// Test helper: a throwaway PKI made with the openssl CLI.
#pragma once

#include <string>

namespace kw::testing {

struct Certificates {
  std::string dir;
  std::string ca;           // the CA certificate (PEM)
  std::string server_cert;  // for localhost, 127.0.0.1 and kubernetes.default.svc, by the CA
  std::string server_key;
  std::string client_cert;  // CN=kube-apiserver, signed by the CA
  std::string client_key;
  std::string chain;  // server_cert followed by ca
};

// A test CA, a server certificate for localhost/127.0.0.1 and a client certificate, all signed
// by it (EC P-256 keys, valid for a day), in a fresh temp directory. Throws std::runtime_error
// when openssl fails.
Certificates MakeCertificates();

struct IssuedCertificate {
  std::string cert;  // PEM file paths
  std::string key;
};

// One more certificate signed by `ca`'s CA, for `subject` in openssl's form
// ("/O=system:masters/CN=alice": Kubernetes reads CN as the user, each O as a group), with
// `subject_alt_names` ("DNS:a,IP:127.0.0.1"; "" = none), in `ca.dir` under `name`.pem/.key.
// Throws std::runtime_error when openssl fails.
IssuedCertificate IssueCertificate(const Certificates& ca, const std::string& subject,
                                   const std::string& name,
                                   const std::string& subject_alt_names = "");

}  // namespace kw::testing
