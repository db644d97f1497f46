#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/files.h"

namespace kw::server {
namespace {

namespace ssl = boost::asio::ssl;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

std::unique_ptr<BIO, BioFree> MemoryBio(const std::string& text) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Every PEM certificate of `text` (other PEM blocks are skipped).
std::vector<X509Ptr> ReadCertificates(const std::string& text) {
  std::vector<X509Ptr> out;
  auto bio = MemoryBio(text);
  while (bio) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) break;
    out.emplace_back(cert);
  }
  ERR_clear_error();  // the end of the input reads as an error
  return out;
}

std::vector<PkeyPtr> ReadPrivateKeys(const std::string& text) {
  std::vector<PkeyPtr> out;
  auto bio = MemoryBio(text);
  while (bio) {
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (key == nullptr) break;
    out.emplace_back(key);
  }
  ERR_clear_error();
  return out;
}

constexpr std::size_t kMaxPemBytes = 16u << 20;

Result<void> Configure(ssl::context& context, const TlsMaterial& material) {
  const TlsFiles& files = material.files;
  SSL_CTX* ctx = context.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // OpenSSL's record buffers (about 34 KiB) are freed while a connection has nothing in them:
  // an idle keep-alive connection does not keep them.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

  std::vector<X509Ptr> certs = ReadCertificates(material.cert_pem);
  if (certs.size() != 1) {
    return Fail(ErrorKind::kInvalidArgument,
                "certificate file " + files.cert_file +
                    ": Expected exactly one certificate in certificate file, found " +
                    std::to_string(certs.size()));
  }
  std::vector<PkeyPtr> keys = ReadPrivateKeys(material.key_pem);
  if (keys.size() != 1) {
    return Fail(ErrorKind::kInvalidArgument,
                "key file " + files.key_file +
                    ": Expected exactly one private key in key file, found " +
                    std::to_string(keys.size()));
  }
  if (SSL_CTX_use_certificate(ctx, certs[0].get()) != 1) {
    return Fail(ErrorKind::kInvalidArgument,
                "certificate file " + files.cert_file + ": " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey(ctx, keys[0].get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return Fail(ErrorKind::kInvalidArgument,
                "key file " + files.key_file + " does not match certificate " + files.cert_file +
                    ": " + OpenSslError());
  }

  if (material.client_ca_pems.empty()) return {};
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  for (std::size_t i = 0; i < material.client_ca_pems.size(); ++i) {
    std::vector<X509Ptr> cas = ReadCertificates(material.client_ca_pems[i]);
    if (cas.empty()) {
      sk_X509_NAME_pop_free(names, X509_NAME_free);
      return Fail(ErrorKind::kInvalidArgument,
                  "client CA file " + files.client_ca_files.at(i) + ": no PEM certificate found");
    }
    for (const X509Ptr& ca : cas) {
      X509_STORE_add_cert(store, ca.get());  // a duplicate is reported as an error; harmless
      sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca.get())));
    }
  }
  ERR_clear_error();
  // The names tell clients which certificate to present.
  SSL_CTX_set_client_CA_list(ctx, names);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return {};
}

}  // namespace

Result<std::string> ReadPemFile(const std::string& path) { return ReadFile(path, kMaxPemBytes); }

Result<std::vector<std::string>> ReadClientCaFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> pems;
  for (const std::string& path : paths) {
    auto text = ReadPemFile(path);
    if (!text) return std::unexpected(text.error().Wrap("client CA file"));
    pems.push_back(std::move(*text));
  }
  return pems;
}

Result<TlsMaterial> ReadTlsMaterial(const TlsFiles& files) {
  TlsMaterial material;
  material.files = files;
  KW_ASSIGN_OR_RETURN(material.cert_pem, ReadPemFile(files.cert_file));
  KW_ASSIGN_OR_RETURN(material.key_pem, ReadPemFile(files.key_file));
  KW_ASSIGN_OR_RETURN(material.client_ca_pems, ReadClientCaFiles(files.client_ca_files));
  return material;
}

Result<TlsContextSharedPtr> BuildTlsContext(const TlsMaterial& material) {
  TlsContextSharedPtr context;
  try {
    context = std::make_shared<ssl::context>(ssl::context::tls_server);
  } catch (const std::exception& e) {
    return Fail(ErrorKind::kInternal, std::string("cannot create a TLS context: ") + e.what());
  }
  KW_TRY(Configure(*context, material));
  return context;
}

}  // namespace kw::server
