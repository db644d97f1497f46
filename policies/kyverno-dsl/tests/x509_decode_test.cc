// x509_decode: certificates made with `openssl req -x509` (RSA and ECDSA P-256, with SANs, key
// usages, basic constraints and name constraints), read through the JMESPath function as a
// Kyverno rule would, against what `openssl x509 -text` shows; hostile DER and PEM give errors.
#include "x509_decode.h"

#include <gtest/gtest.h>

#include <string>

#include "cel/text.h"
#include "jmespath.h"
#include "value.h"

namespace kyverno {
namespace {

// openssl req -x509 -newkey rsa:2048 -set_serial 0x1234567890abcdef1234
//   -subj "/C=DE/ST=Bavaria/L=Nuremberg/O=Kubewarden Test/OU=Policies/CN=rsa.example.com"
//   -addext "subjectAltName=DNS:rsa.example.com,DNS:*.example.org,IP:10.0.0.1,IP:2001:db8::1,
//            email:admin@example.com,URI:spiffe://cluster.local/ns/default/sa/app"
//   -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign"
//   -addext "extendedKeyUsage=serverAuth,clientAuth,1.2.3.4"
//   -addext "basicConstraints=critical,CA:TRUE,pathlen:0"
//   -addext "authorityInfoAccess=OCSP;URI:http://ocsp.example.com,caIssuers;URI:http://ca.example.com/ca.crt"
//   -addext "crlDistributionPoints=URI:http://crl.example.com/ca.crl"
//   -addext "certificatePolicies=2.23.140.1.2.1"
constexpr char kRsaPem[] = R"pem(-----BEGIN CERTIFICATE-----
MIIFKjCCBBKgAwIBAgIKEjRWeJCrze8SNDANBgkqhkiG9w0BAQsFADB6MQswCQYD
VQQGEwJERTEQMA4GA1UECAwHQmF2YXJpYTESMBAGA1UEBwwJTnVyZW1iZXJnMRgw
FgYDVQQKDA9LdWJld2FyZGVuIFRlc3QxETAPBgNVBAsMCFBvbGljaWVzMRgwFgYD
VQQDDA9yc2EuZXhhbXBsZS5jb20wHhcNMjYxMjA3MDQxMzM2WhcNMzYxMjA0MDQx
MzM2WjB6MQswCQYDVQQGEwJERTEQMA4GA1UECAwHQmF2YXJpYTESMBAGA1UEBwwJ
TnVyZW1iZXJnMRgwFgYDVQQKDA9LdWJld2FyZGVuIFRlc3QxETAPBgNVBAsMCFBv
bGljaWVzMRgwFgYDVQQDDA9yc2EuZXhhbXBsZS5jb20wggEiMA0GCSqGSIb3DQEB
AQUAA4IBDwAwggEKAoIBAQDvI2/JCKn8sTTK2lm5VJ+weq54hVKP41UeoL4/HbV1
2GzT0rzCywtSwuQaAOGkc1PTdcXfxcLl+fPACizHMDoS9uN71bkUYJsZ8c41LL4C
aX1fOlZovF3nYxzXx2XTjZ2DD0Ds4Mmz1J3K7KiMHwSu53Kh6ojqUVT/hxJuMJG1
KpuAkU+Tlh1P6x4Exl/lZ2IFWVLL4ATomLBc+ZzwgBu78ALESgQS1VQpnNn2iMDL
FLuJXVR8Y37Lm22fkVaJxqQWUIBSWZVY0rq+ITYRqIWjg3dd/Jiic/csvESPnsva
yicop9uB31T6xQv6Xbd0Ul3PHzi1ywcEJGn6EY6QomdjAgMBAAGjggGwMIIBrDAd
BgNVHQ4EFgQUb9VH7OtNShWO4iKZ7EDQjOSE7eYwHwYDVR0jBBgwFoAUb9VH7OtN
ShWO4iKZ7EDQjOSE7eYwfgYDVR0RBHcwdYIPcnNhLmV4YW1wbGUuY29tgg0qLmV4
YW1wbGUub3JnhwQKAAABhxAgAQ24AAAAAAAAAAAAAAABgRFhZG1pbkBleGFtcGxl
LmNvbYYoc3BpZmZlOi8vY2x1c3Rlci5sb2NhbC9ucy9kZWZhdWx0L3NhL2FwcDAO
BgNVHQ8BAf8EBAMCAqQwIgYDVR0lBBswGQYIKwYBBQUHAwEGCCsGAQUFBwMCBgMq
AwQwEgYDVR0TAQH/BAgwBgEB/wIBADBdBggrBgEFBQcBAQRRME8wIwYIKwYBBQUH
MAGGF2h0dHA6Ly9vY3NwLmV4YW1wbGUuY29tMCgGCCsGAQUFBzAChhxodHRwOi8v
Y2EuZXhhbXBsZS5jb20vY2EuY3J0MC4GA1UdHwQnMCUwI6AhoB+GHWh0dHA6Ly9j
cmwuZXhhbXBsZS5jb20vY2EuY3JsMBMGA1UdIAQMMAowCAYGZ4EMAQIBMA0GCSqG
SIb3DQEBCwUAA4IBAQBcv+w4CAvbjfcKYjgywKsZ4EWwstF/VFkCJle6SIMKJBrN
jk7tZynJNcY5UYaeU4vtDg2U+tWS5FuDbdulVM8drWficMomqUZMxFBNQMZ+62lS
KdaXw9rwHe284a0v+Z3jtrikMSuqMAlV/6zQdP85QVXGfw+u5ihnzPA7He2seXB8
9AyVqEh/O3ZGW6/vgsLprTWZljfx3BpADIk7SLYtoD9boBxVlfLbjPWKzR6hbkS+
vkCg8O6KYWpsnUU0epAoKugsOtTyGfjH3AHdD251XWMB2o6puaJe0HjlK9pbMNFs
IcbfNZG3Xx8KTncGbGxRfKMy96+2sEEKHxfzyDKj
-----END CERTIFICATE-----
)pem";

// openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -set_serial 7
//   -subj "/O=Example/CN=ec.example.com" -addext "subjectAltName=DNS:ec.example.com"
//   -addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=digitalSignature"
//   -addext "nameConstraints=critical,permitted;DNS:.example.com,
//            permitted;IP:192.168.0.0/255.255.0.0,excluded;email:example.net"
constexpr char kEcPem[] = R"pem(-----BEGIN CERTIFICATE-----
MIIB/DCCAaKgAwIBAgIBBzAKBggqhkjOPQQDAjArMRAwDgYDVQQKDAdFeGFtcGxl
MRcwFQYDVQQDDA5lYy5leGFtcGxlLmNvbTAeFw0yNjEyMDcwNDEzMzZaFw0yNzEy
MDcwNDEzMzZaMCsxEDAOBgNVBAoMB0V4YW1wbGUxFzAVBgNVBAMMDmVjLmV4YW1w
bGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEvUz0nfRZZoozcsWQmgc7
F3rfCV9Y3W4lXRBuz75h1qujbMgmzCf36kGg2fSicE+gKAcLpgltv3a8kFUq2aMm
7aOBtjCBszAdBgNVHQ4EFgQUuux6/LLCsPyQfi6gcihCdzX+k70wHwYDVR0jBBgw
FoAUuux6/LLCsPyQfi6gcihCdzX+k70wGQYDVR0RBBIwEIIOZWMuZXhhbXBsZS5j
b20wDAYDVR0TAQH/BAIwADALBgNVHQ8EBAMCB4AwOwYDVR0eAQH/BDEwL6AcMA6C
DC5leGFtcGxlLmNvbTAKhwjAqAAA//8AAKEPMA2BC2V4YW1wbGUubmV0MAoGCCqG
SM49BAMCA0gAMEUCIQCeO/BnaYEu4PULviQgzuUxGx9xvcwwhPoHd+33sZdfwwIg
LJ57cmHDge37ZuDn9oiacc3rJRCLyvSMWEhlR7rCIqs=
-----END CERTIFICATE-----
)pem";

// The result of `expression` on the certificate `pem` as decoded by x509_decode, as JSON.
std::string Field(const char* pem, const std::string& expression) {
  Value data(Object{{"cert", Value(pem)}});
  Value out;
  std::string error;
  if (!jmespath::Search("x509_decode(cert)." + expression, data, &out, &error)) return "error: " + error;
  return ToJson(out);
}

std::string ErrorOf(std::string_view pem) {
  auto decoded = DecodeX509(pem);
  return decoded ? "decoded" : decoded.error();
}

std::string Pem(std::string_view der) {
  return "-----BEGIN CERTIFICATE-----\n" + kw::cel::Base64Encode(der) + "\n-----END CERTIFICATE-----\n";
}

// The DER of the certificate in `pem` (a single-line base64 body is fine for pem.Decode).
std::string Der(const char* pem) {
  Value data(Object{{"cert", Value(pem)}});
  Value raw;
  std::string error;
  EXPECT_TRUE(jmespath::Search("base64_decode(x509_decode(cert).Raw)", data, &raw, &error)) << error;
  return raw.as_string();
}

TEST(X509Decode, RsaCertificateAsOpensslShowsIt) {
  EXPECT_EQ(Field(kRsaPem, "Version"), "3");
  EXPECT_EQ(Field(kRsaPem, "SerialNumber"), "8.596805827263855e+22");  // 0x1234567890abcdef1234 as a float64
  EXPECT_EQ(Field(kRsaPem, "SignatureAlgorithm"), "4");                  // SHA256WithRSA
  EXPECT_EQ(Field(kRsaPem, "PublicKeyAlgorithm"), "1");                  // RSA
  EXPECT_EQ(Field(kRsaPem, "PublicKey.E"), "65537");
  EXPECT_EQ(Field(kRsaPem, "PublicKey.N"),
            "\"3018842935584904358299802144969447479808950324640016554260869118828905358643563762059332763176056201063"
            "6764473923191589598247418811160264899362772301038958931068313385129634108427875167130513669755304157146"
            "6021602207307377845056166053362292220511289855242077499461102934644343873931360295665303222011347219068"
            "6267959138061389266233352786946847881243247110629287095216833415114280386749012140900679894096280952710"
            "1282851619041156370059790641927999632259133604936189457547587474361564040198916597623556049030388717889"
            "977032277853758816630833127888260750098477313213771969347100525562067198848983090756778107691990148963\"");
  EXPECT_EQ(Field(kRsaPem, "Subject.CommonName"), R"("rsa.example.com")");
  EXPECT_EQ(Field(kRsaPem, "Subject.Country"), R"(["DE"])");
  EXPECT_EQ(Field(kRsaPem, "Subject.Province"), R"(["Bavaria"])");
  EXPECT_EQ(Field(kRsaPem, "Subject.Locality"), R"(["Nuremberg"])");
  EXPECT_EQ(Field(kRsaPem, "Subject.Organization"), R"(["Kubewarden Test"])");
  EXPECT_EQ(Field(kRsaPem, "Subject.OrganizationalUnit"), R"(["Policies"])");
  EXPECT_EQ(Field(kRsaPem, "Subject.[PostalCode, StreetAddress, SerialNumber, ExtraNames]"), R"([null,null,"",null])");
  EXPECT_EQ(Field(kRsaPem, "Issuer.Names[0]"), R"({"Type":[2,5,4,6],"Value":"DE"})");
  EXPECT_EQ(Field(kRsaPem, "length(Issuer.Names)"), "6");
  EXPECT_EQ(Field(kRsaPem, "NotBefore"), R"("2026-12-07T04:13:36Z")");
  EXPECT_EQ(Field(kRsaPem, "NotAfter"), R"("2036-12-04T04:13:36Z")");
  EXPECT_EQ(Field(kRsaPem, "KeyUsage"), "37");  // DigitalSignature | KeyEncipherment | CertSign
  EXPECT_EQ(Field(kRsaPem, "ExtKeyUsage"), "[1,2]");
  EXPECT_EQ(Field(kRsaPem, "UnknownExtKeyUsage"), "[[1,2,3,4]]");
  EXPECT_EQ(Field(kRsaPem, "[BasicConstraintsValid, IsCA, MaxPathLen, MaxPathLenZero]"), "[true,true,0,true]");
  EXPECT_EQ(Field(kRsaPem, "SubjectKeyId"), R"("b9VH7OtNShWO4iKZ7EDQjOSE7eY=")");
  EXPECT_EQ(Field(kRsaPem, "AuthorityKeyId"), R"("b9VH7OtNShWO4iKZ7EDQjOSE7eY=")");
  EXPECT_EQ(Field(kRsaPem, "DNSNames"), R"(["rsa.example.com","*.example.org"])");
  EXPECT_EQ(Field(kRsaPem, "IPAddresses"), R"(["10.0.0.1","2001:db8::1"])");
  EXPECT_EQ(Field(kRsaPem, "EmailAddresses"), R"(["admin@example.com"])");
  EXPECT_EQ(Field(kRsaPem, "URIs"),
            R"([{"ForceQuery":false,"Fragment":"","Host":"cluster.local","OmitHost":false,"Opaque":"",)"
            R"("Path":"/ns/default/sa/app","RawFragment":"","RawPath":"","RawQuery":"","Scheme":"spiffe","User":null}])");
  EXPECT_EQ(Field(kRsaPem, "OCSPServer"), R"(["http://ocsp.example.com"])");
  EXPECT_EQ(Field(kRsaPem, "IssuingCertificateURL"), R"(["http://ca.example.com/ca.crt"])");
  EXPECT_EQ(Field(kRsaPem, "CRLDistributionPoints"), R"(["http://crl.example.com/ca.crl"])");
  EXPECT_EQ(Field(kRsaPem, "PolicyIdentifiers"), "[[2,23,140,1,2,1]]");
  EXPECT_EQ(Field(kRsaPem, "Extensions[?Critical].Id"), "[[2,5,29,15],[2,5,29,19]]");
  EXPECT_EQ(Field(kRsaPem, "length(Extensions)"), "9");
  EXPECT_EQ(Field(kRsaPem, "[UnhandledCriticalExtensions, ExtraExtensions, PermittedDNSDomains]"), "[null,null,null]");
  // Go 1.20's x509.Certificate fields, all of them.
  EXPECT_EQ(Field(kRsaPem, "join(',', keys(@))"),
            R"("AuthorityKeyId,BasicConstraintsValid,CRLDistributionPoints,DNSNames,EmailAddresses,)"
            R"(ExcludedDNSDomains,ExcludedEmailAddresses,ExcludedIPRanges,ExcludedURIDomains,ExtKeyUsage,)"
            R"(Extensions,ExtraExtensions,IPAddresses,IsCA,Issuer,IssuingCertificateURL,KeyUsage,MaxPathLen,)"
            R"(MaxPathLenZero,NotAfter,NotBefore,OCSPServer,PermittedDNSDomains,PermittedDNSDomainsCritical,)"
            R"(PermittedEmailAddresses,PermittedIPRanges,PermittedURIDomains,PolicyIdentifiers,PublicKey,)"
            R"(PublicKeyAlgorithm,Raw,RawIssuer,RawSubject,RawSubjectPublicKeyInfo,RawTBSCertificate,)"
            R"(SerialNumber,Signature,SignatureAlgorithm,Subject,SubjectKeyId,URIs,UnhandledCriticalExtensions,)"
            R"(UnknownExtKeyUsage,Version")");
  EXPECT_EQ(Der(kRsaPem).size(), 1326u);
}

TEST(X509Decode, EcdsaCertificateWithNameConstraints) {
  EXPECT_EQ(Field(kEcPem, "[SerialNumber, SignatureAlgorithm, PublicKeyAlgorithm]"), "[7,10,3]");
  EXPECT_EQ(Field(kEcPem, "PublicKey"),
            R"({"Curve":{},"X":8.562309704371373e+76,)"
            R"("Y":7.391919519731597e+76})");
  EXPECT_EQ(Field(kEcPem, "Subject"),
            R"({"CommonName":"ec.example.com","Country":null,"ExtraNames":null,"Locality":null,)"
            R"("Names":[{"Type":[2,5,4,10],"Value":"Example"},{"Type":[2,5,4,3],"Value":"ec.example.com"}],)"
            R"("Organization":["Example"],"OrganizationalUnit":null,"PostalCode":null,"Province":null,)"
            R"("SerialNumber":"","StreetAddress":null})");
  EXPECT_EQ(Field(kEcPem, "[BasicConstraintsValid, IsCA, MaxPathLen, MaxPathLenZero, KeyUsage]"), "[true,false,-1,false,1]");
  EXPECT_EQ(Field(kEcPem, "[PermittedDNSDomainsCritical, PermittedDNSDomains, ExcludedEmailAddresses]"),
            R"([true,[".example.com"],["example.net"]])");
  EXPECT_EQ(Field(kEcPem, "PermittedIPRanges"), R"([{"IP":"192.168.0.0","Mask":"//8AAA=="}])");
  EXPECT_EQ(Field(kEcPem, "[ExcludedDNSDomains, PermittedEmailAddresses, ExtKeyUsage, IPAddresses, URIs]"),
            "[null,null,null,null,null]");
  EXPECT_EQ(Field(kEcPem, "UnhandledCriticalExtensions"), "null");
  EXPECT_EQ(Field(kEcPem, "NotAfter"), R"("2027-12-07T04:13:36Z")");
}

TEST(X509Decode, FirstPemBlockWhateverItsType) {
  std::string two = std::string("junk before\n") + kEcPem + kRsaPem;
  Value data(Object{{"cert", Value(two)}});
  Value out;
  std::string error;
  ASSERT_TRUE(jmespath::Search("x509_decode(cert).Subject.CommonName", data, &out, &error)) << error;
  EXPECT_EQ(ToJson(out), R"("ec.example.com")");
  std::string der = Der(kEcPem);
  EXPECT_EQ(ErrorOf("-----BEGIN X-----\n" + kw::cel::Base64Encode(der) + "\n-----END X-----"), "decoded");
}

TEST(X509Decode, ErrorsAreKyvernosAndGos) {
  EXPECT_EQ(Field("not a certificate", "Version"), "error: invalid certificate");
  EXPECT_EQ(ErrorOf("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"), "invalid certificate");
  EXPECT_EQ(ErrorOf("-----BEGIN CERTIFICATE-----\nAAAA\n-----END OTHER-----\n"), "invalid certificate");
  EXPECT_EQ(ErrorOf(Pem("hello")), "x509: malformed certificate");
  std::string der = Der(kRsaPem);
  EXPECT_EQ(ErrorOf(Pem(der.substr(0, der.size() / 2))), "x509: malformed certificate");
  EXPECT_EQ(ErrorOf(Pem(der + "x")), "x509: trailing data");
  EXPECT_EQ(ErrorOf(Pem(std::string("\x30\x84\xff\xff\xff\xff", 6))), "x509: malformed certificate");
  EXPECT_EQ(ErrorOf(Pem(std::string("\x30\x80\x00\x00", 4))), "x509: malformed certificate");  // indefinite length
  EXPECT_EQ(ErrorOf(Pem(std::string("\x30\x81\x05\x30\x03\x02\x01\x01", 8))), "x509: malformed certificate");  // long form for 5
  // A SEQUENCE nested 20000 deep where the TBS certificate belongs.
  std::string nested;
  for (int i = 0; i < 20000; ++i) nested = "\x30" + std::string(1, '\x80') + nested;  // not even valid lengths
  EXPECT_NE(ErrorOf(Pem("\x30\x03\x30\x01\x30" + nested)), "decoded");
  std::string deep = "\x05";
  for (int i = 0; i < 60; ++i) deep = "\x30" + std::string(1, static_cast<char>(deep.size())) + deep;
  EXPECT_EQ(ErrorOf(Pem(deep.substr(0, 60) + std::string(1, '\x00'))), "x509: malformed certificate");
  // The version must be v1..v3 and the duplicate extension check is Go's.
  std::string v4 = der;
  std::size_t version = v4.find(std::string("\xa0\x03\x02\x01\x02", 5));
  ASSERT_NE(version, std::string::npos);
  v4[version + 4] = 3;
  EXPECT_EQ(ErrorOf(Pem(v4)), "x509: invalid version");
}

// Every prefix and every single-byte change of real certificates: an error or a certificate,
// never a crash (the sanitizer builds check the reads).
TEST(X509Decode, HostileDerNeverCrashes) {
  for (const char* pem : {kRsaPem, kEcPem}) {
    std::string der = Der(pem);
    for (std::size_t n = 0; n < der.size(); ++n) EXPECT_NE(ErrorOf(Pem(der.substr(0, n))), "decoded");
    for (std::size_t i = 0; i < der.size(); ++i) {
      for (unsigned char flip : {0x01, 0x80, 0xff}) {
        std::string changed = der;
        changed[i] = static_cast<char>(changed[i] ^ flip);
        (void)DecodeX509(Pem(changed));
      }
    }
  }
}

TEST(X509Decode, NeedsOneString) {
  Value data(Object{{"n", Value(1)}});
  Value out;
  std::string error;
  EXPECT_FALSE(jmespath::Search("x509_decode(n)", data, &out, &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace kyverno
